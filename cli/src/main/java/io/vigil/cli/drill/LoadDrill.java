package io.vigil.cli.drill;

import io.vigil.cli.region.MonitoringApi;
import io.vigil.cli.region.RegionState;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
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
public final class LoadDrill {

  /** What a drill measured. */
  public record Report(
      String failure,
      int reads,
      int failedReads,
      int writes,
      int failedWrites,
      int acknowledged,
      int lost,
      double recoverySeconds,
      double slowestMs,
      int notified,
      int notificationsLost,
      int notificationsDuplicated,
      String observed) {

    /** The report as a Markdown table row. */
    public String row() {
      return String.format(
          "| %s | %,d | %d | %,d | %d | %,d | %d | %.1f s | %.0f ms | %d / %d / %d | %s |",
          failure,
          reads,
          failedReads,
          writes,
          failedWrites,
          acknowledged,
          lost,
          recoverySeconds,
          slowestMs,
          notified,
          notificationsLost,
          notificationsDuplicated,
          observed);
    }

    /** The table header. */
    public static String header() {
      return "| failure | reads | failed reads | writes | failed writes | acknowledged records |"
          + " lost | time to recover | slowest request | notifications sent / lost / duplicated |"
          + " also observed |\n"
          + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";
    }
  }

  /** One request: its status, and the error code of a failed answer in the API's format. */
  private record Outcome(boolean write, long startNanos, long nanos, int status, String code) {}

  private static final java.util.regex.Pattern ERROR_CODE =
      java.util.regex.Pattern.compile("\"code\"\\s*:\\s*\"([^\"]+)\"");

  private LoadDrill() {}

  /** Runs the drill. */
  public static Report run(
      RegionState state, Path stateFile, Failure failure, Duration duration, PrintStream out)
      throws Exception {
    MonitoringApi api = new MonitoringApi(state.apiUrl, state.apiKey);
    String subscription = api.subscription();
    String dataSet = api.dataSet(subscription, "payload_logging");
    String run = UUID.randomUUID().toString().substring(0, 8);
    DrillData.awaitSteady(state, api, dataSet, run);
    try (NotificationProbe probe = NotificationProbe.start(api)) {
      return run(state, stateFile, failure, duration, out, api, subscription, dataSet, run, probe);
    }
  }

  private static Report run(
      RegionState state,
      Path stateFile,
      Failure failure,
      Duration duration,
      PrintStream out,
      MonitoringApi api,
      String subscription,
      String dataSet,
      String run,
      NotificationProbe probe)
      throws Exception {
    Map<String, Long> acked = new java.util.concurrent.ConcurrentHashMap<>();
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ids = new AtomicInteger();
    long begin = System.nanoTime();
    long end = begin + duration.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(9);
    List<Future<?>> loops = new ArrayList<>();
    // a breaching monitor run queued every second: its notifications must all arrive
    loops.add(
        pool.submit(
            () -> {
              while (System.nanoTime() < end) {
                probe.tick();
                Thread.sleep(1000);
              }
              return null;
            }));
    for (int w = 0; w < 8; w++) {
      boolean writer = w < 4;
      loops.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long t0 = System.nanoTime();
                  int status;
                  String code = null;
                  String id = null;
                  try {
                    HttpResponse<String> r;
                    if (writer) {
                      id = "drill-" + run + "-" + ids.incrementAndGet();
                      r =
                          api.send(
                              "POST",
                              "/data_sets/" + dataSet + "/records",
                              DrillData.record(id),
                              "Idempotency-Key",
                              id);
                    } else {
                      r = api.send("GET", "/subscriptions/" + subscription, null);
                    }
                    status = r.statusCode();
                    if (status >= 400) {
                      java.util.regex.Matcher m = ERROR_CODE.matcher(r.body());
                      code = m.find() ? m.group(1) : null;
                    }
                  } catch (Exception e) {
                    status = -1;
                  }
                  if (writer && status == 202) {
                    acked.put(id, System.nanoTime() - begin);
                  }
                  outcomes.add(
                      new Outcome(writer, t0 - begin, System.nanoTime() - t0, status, code));
                }
                return null;
              }));
    }
    Thread.sleep(duration.toMillis() / 3);
    long brokenAt = System.nanoTime() - begin;
    out.printf("%s, under load:%n", failure.name());
    failure.inflict(state, out);
    for (Future<?> loop : loops) {
      loop.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    out.println("Mending:");
    String observed = failure.mend(state, stateFile, out);

    int reads = 0;
    int failedReads = 0;
    int writes = 0;
    int failedWrites = 0;
    long lastFailure = -1;
    long slowest = 0;
    java.util.Map<String, Integer> failedStatuses = new java.util.TreeMap<>();
    for (Outcome o : List.copyOf(outcomes)) {
      boolean ok = o.write() ? o.status() == 202 : o.status() == 200;
      if (!ok) {
        failedStatuses.merge(
            (o.write() ? "write " : "read ")
                + (o.status() < 0 ? "no answer" : Integer.toString(o.status()))
                + (o.code() == null ? "" : " " + o.code())
                + (o.startNanos() < brokenAt ? " before" : " after"),
            1,
            Integer::sum);
      }
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
    DrillData.Stored readBack = DrillData.storedIds(api, dataSet);
    Set<String> stored = readBack.ids();
    int lost = 0;
    long earliestLost = Long.MAX_VALUE;
    for (Map.Entry<String, Long> a : acked.entrySet()) {
      if (!stored.contains(a.getKey())) {
        lost++;
        earliestLost = Math.min(earliestLost, a.getValue());
      }
    }
    // how long before the failure the earliest lost record was acknowledged (the data at risk)
    double lostWindow = lost == 0 ? 0 : Math.max(0, (brokenAt - earliestLost) / 1e9);
    if (lost > 0) {
      observed =
          (observed.equals("-") ? "" : observed + "; ")
              + String.format(
                  "lost records acknowledged up to %.1f s before the failure", lostWindow);
    }
    if (readBack.refusals() > 0) {
      observed =
          (observed.equals("-") ? "" : observed + "; ")
              + "the read-back after the mend was refused "
              + readBack.refusals()
              + " times (503 + Retry-After) before it was served";
    }
    double recovery = lastFailure < brokenAt ? 0 : (lastFailure - brokenAt) / 1e9;
    // a notification claimed by a killed zone waits for its lease (3 × the request timeout)
    NotificationProbe.Result notified = probe.finish(Duration.ofSeconds(90));
    out.println("Notifications: " + notified.summary() + " (" + notified.detail() + ")");
    if (!failedStatuses.isEmpty()) {
      observed = (observed.equals("-") ? "" : observed + "; ") + "failed: " + failedStatuses;
    }
    return new Report(
        failure.name(),
        reads,
        failedReads,
        writes,
        failedWrites,
        acked.size(),
        lost,
        recovery,
        slowest / 1e6,
        notified.breaches(),
        notified.lost(),
        notified.duplicated(),
        observed);
  }
}
