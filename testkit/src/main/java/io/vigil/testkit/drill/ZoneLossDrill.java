package io.vigil.testkit.drill;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.testkit.MonitoringApi;
import io.vigil.testkit.RegionState;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A zone-loss drill on a local region: steady reads and writes through the router, one zone killed
 * (or hung) a third of the way in, then mended; reports failed requests, acknowledged records that
 * are not there afterwards, and the time from the failure to the last failed request. Writes carry
 * an {@code Idempotency-Key} (their record id), so the router may replay them and the service
 * stores each once.
 */
public final class ZoneLossDrill {

  /** What a drill measured. */
  public record Report(
      String zone,
      String failure,
      int reads,
      int failedReads,
      int writes,
      int failedWrites,
      int acknowledged,
      int lost,
      double recoverySeconds,
      double slowestMs) {

    /** The report as a Markdown table row. */
    public String row() {
      return String.format(
          "| %s %s | %,d | %d | %,d | %d | %,d | %d | %.1f s | %.0f ms |",
          zone,
          failure,
          reads,
          failedReads,
          writes,
          failedWrites,
          acknowledged,
          lost,
          recoverySeconds,
          slowestMs);
    }

    /** The table header. */
    public static String header() {
      return "| zone | reads | failed reads | writes | failed writes | acknowledged records |"
          + " lost | time to recover | slowest request |\n"
          + "|---|---:|---:|---:|---:|---:|---:|---:|---:|";
    }
  }

  private record Outcome(boolean write, long startNanos, long nanos, int status) {}

  private ZoneLossDrill() {}

  /**
   * Runs the drill.
   *
   * @param hang SIGSTOP the zone instead of killing it
   */
  public static Report run(
      RegionState state,
      Path stateFile,
      String zone,
      boolean hang,
      Duration duration,
      PrintStream out)
      throws Exception {
    Zones.of(state, zone);
    MonitoringApi api = new MonitoringApi(state.apiUrl, state.apiKey);
    String subscription = api.subscription();
    String dataSet = api.dataSet(subscription, "payload_logging");
    String run = UUID.randomUUID().toString().substring(0, 8);
    Set<String> acked = Collections.synchronizedSet(new HashSet<>());
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ids = new AtomicInteger();
    long begin = System.nanoTime();
    long end = begin + duration.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> loops = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      boolean writer = w < 2;
      loops.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long t0 = System.nanoTime();
                  int status;
                  String id = null;
                  try {
                    HttpResponse<String> r;
                    if (writer) {
                      id = "drill-" + run + "-" + ids.incrementAndGet();
                      r =
                          api.send(
                              "POST",
                              "/data_sets/" + dataSet + "/records",
                              record(id),
                              "Idempotency-Key",
                              id);
                    } else {
                      r = api.send("GET", "/subscriptions/" + subscription, null);
                    }
                    status = r.statusCode();
                  } catch (Exception e) {
                    status = -1;
                  }
                  if (writer && status == 202) {
                    acked.add(id);
                  }
                  outcomes.add(new Outcome(writer, t0 - begin, System.nanoTime() - t0, status));
                }
                return null;
              }));
    }
    Thread.sleep(duration.toMillis() / 3);
    long brokenAt = System.nanoTime() - begin;
    out.printf("Zone %s %s under load:%n", zone, hang ? "hung (SIGSTOP)" : "killed (SIGKILL)");
    if (hang) {
      Zones.hang(state, zone, out);
    } else {
      Zones.kill(state, zone, out);
    }
    for (Future<?> loop : loops) {
      loop.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    out.printf("Mending zone %s:%n", zone);
    if (hang) {
      Zones.resume(state, zone, out);
    } else {
      Zones.start(state, stateFile, zone, out);
    }

    int reads = 0;
    int failedReads = 0;
    int writes = 0;
    int failedWrites = 0;
    long lastFailure = -1;
    long slowest = 0;
    for (Outcome o : List.copyOf(outcomes)) {
      boolean ok = o.write() ? o.status() == 202 : o.status() == 200;
      if (o.write()) {
        writes++;
        failedWrites += ok ? 0 : 1;
      } else {
        reads++;
        failedReads += ok ? 0 : 1;
      }
      if (!ok) {
        lastFailure = Math.max(lastFailure, o.startNanos() + o.nanos());
      }
      slowest = Math.max(slowest, o.nanos());
    }
    Set<String> stored = storedIds(api, dataSet);
    int lost = 0;
    for (String id : acked) {
      if (!stored.contains(id)) {
        lost++;
      }
    }
    double recovery = lastFailure < brokenAt ? 0 : (lastFailure - brokenAt) / 1e9;
    return new Report(
        zone,
        hang ? "hung" : "killed",
        reads,
        failedReads,
        writes,
        failedWrites,
        acked.size(),
        lost,
        recovery,
        slowest / 1e6);
  }

  private static Set<String> storedIds(MonitoringApi api, String dataSet) throws Exception {
    Set<String> ids = new HashSet<>();
    for (int offset = 0; ; offset += 500) {
      JsonNode page = api.get("/data_sets/" + dataSet + "/records?limit=500&offset=" + offset);
      JsonNode records = page.path("records");
      records.forEach(r -> ids.add(r.path("metadata").path("id").asText()));
      if (records.size() < 500) {
        return ids;
      }
    }
  }

  private static String record(String id) {
    return "[{\"scoring_id\":\""
        + id
        + "\",\"scoring_timestamp\":\"2026-11-01T00:00:00Z\","
        + "\"request\":{\"fields\":[\"Age\",\"Sex\",\"LoanAmount\"],\"values\":[[41,\"female\",2500]]},"
        + "\"response\":{\"fields\":[\"probability\",\"prediction\"],\"values\":[[[0.8,0.2],\"No Risk\"]]}}]";
  }
}
