package io.vigil.cli.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closed-loop HTTP load that keeps every request's start, end and status: a fixed number of
 * connections, each sending its next GET when the last one answered, for a bounded time and at most
 * {@code capacity} requests. Used where wrk's summary is not enough (failures, the slowest request
 * and throughput gaps around a failure).
 */
final class LoadLoop {

  /** The outcome of a run; times in nanoseconds from the start of the run. */
  record Result(long[] starts, long[] ends, int[] statuses, int count) {

    int failed() {
      int n = 0;
      for (int i = 0; i < count; i++) {
        if (statuses[i] != 200) {
          n++;
        }
      }
      return n;
    }

    /** The slowest request that started at or after {@code from}, in milliseconds. */
    double slowestMs(long from) {
      long max = 0;
      for (int i = 0; i < count; i++) {
        if (starts[i] >= from) {
          max = Math.max(max, ends[i] - starts[i]);
        }
      }
      return max / 1e6;
    }

    /** The longest time without a completed request between {@code from} and the last one. */
    double longestGapMs(long from) {
      long[] done = Arrays.copyOf(ends, count);
      Arrays.sort(done);
      long previous = from;
      long gap = 0;
      for (long end : done) {
        if (end < from) {
          continue;
        }
        gap = Math.max(gap, end - previous);
        previous = end;
      }
      return gap / 1e6;
    }
  }

  private LoadLoop() {}

  /**
   * Runs the load against {@code http://127.0.0.1:port/path}; calls {@code event} once after {@code
   * eventAt}.
   */
  static Result run(
      int port,
      String path,
      int connections,
      Duration duration,
      Duration eventAt,
      Runnable event,
      int capacity)
      throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setConnectTimeout(2000),
            new PoolOptions().setHttp1MaxSize(connections));
    long[] starts = new long[capacity];
    long[] ends = new long[capacity];
    int[] statuses = new int[capacity];
    AtomicInteger next = new AtomicInteger();
    long begin = System.nanoTime();
    long stop = begin + duration.toNanos();
    CountDownLatch finished = new CountDownLatch(connections);
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost("127.0.0.1")
            .setPort(port)
            .setURI(path)
            .setIdleTimeout(10_000);
    for (int c = 0; c < connections; c++) {
      loop(client, options, starts, ends, statuses, next, begin, stop, finished);
    }
    Thread.sleep(eventAt.toMillis());
    event.run();
    if (!finished.await(duration.toSeconds() + 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("load loop did not finish");
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
    int count = Math.min(next.get(), capacity);
    return new Result(starts, ends, statuses, count);
  }

  private static void loop(
      HttpClient client,
      RequestOptions options,
      long[] starts,
      long[] ends,
      int[] statuses,
      AtomicInteger next,
      long begin,
      long stop,
      CountDownLatch finished) {
    long t0 = System.nanoTime();
    if (t0 >= stop) {
      finished.countDown();
      return;
    }
    client
        .request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(
            outcome -> {
              int i = next.getAndIncrement();
              if (i < starts.length) {
                starts[i] = t0 - begin;
                ends[i] = System.nanoTime() - begin;
                statuses[i] = outcome.succeeded() ? outcome.result() : -1;
              }
              loop(client, options, starts, ends, statuses, next, begin, stop, finished);
            });
  }
}
