package io.vigil.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Closed-loop GET load for router tests: a fixed number of workers, each sending its next request
 * when the last one answered, for a bounded time; every outcome is kept.
 */
final class SteadyLoad {

  /** One request: when it started (ns since the load began), how long it took, its status. */
  record Outcome(long startNanos, long nanos, int status, String zone) {}

  private SteadyLoad() {}

  /**
   * Runs {@code workers} loops against {@code url} for {@code duration}, calling {@code during}
   * once after {@code after}.
   */
  static List<Outcome> run(
      String url, int workers, Duration duration, Duration after, ThrowingRunnable during)
      throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    long begin = System.nanoTime();
    long end = begin + duration.toNanos();
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<?>> loops = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        loops.add(
            pool.submit(
                () -> {
                  while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    int status;
                    String zone = null;
                    try {
                      HttpResponse<String> r =
                          client.send(
                              HttpRequest.newBuilder(URI.create(url))
                                  .timeout(Duration.ofSeconds(10))
                                  .GET()
                                  .build(),
                              HttpResponse.BodyHandlers.ofString());
                      status = r.statusCode();
                      zone = r.headers().firstValue("Vigil-Zone").orElse(null);
                    } catch (Exception e) {
                      status = -1;
                    }
                    outcomes.add(new Outcome(t0 - begin, System.nanoTime() - t0, status, zone));
                  }
                  return null;
                }));
      }
      Thread.sleep(after.toMillis());
      during.run();
      for (Future<?> loop : loops) {
        loop.get(duration.toSeconds() + 30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      client.close();
    }
    return List.copyOf(outcomes);
  }

  /**
   * The load covered the failure: more requests than {@code workers} started before it (at {@code
   * failedAt}) and after {@code settledAt}, so what is asserted of them is about traffic on both
   * sides — how many fit in the time depends on the machine and is not asserted.
   */
  static void assertCovers(
      List<Outcome> outcomes, int workers, Duration failedAt, Duration settledAt) {
    assertThat(outcomes.stream().filter(o -> o.startNanos() < failedAt.toNanos()))
        .as("requests before the failure")
        .hasSizeGreaterThan(workers);
    assertThat(outcomes.stream().filter(o -> o.startNanos() > settledAt.toNanos()))
        .as("requests after it settled")
        .hasSizeGreaterThan(workers);
  }

  /** An action that may throw. */
  interface ThrowingRunnable {
    void run() throws Exception;
  }
}
