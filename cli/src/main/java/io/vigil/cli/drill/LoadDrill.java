package io.vigil.cli.drill;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.cli.region.MonitoringApi;
import io.vigil.cli.region.RegionState;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
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
      String observed) {

    /** The report as a Markdown table row. */
    public String row() {
      return String.format(
          "| %s | %,d | %d | %,d | %d | %,d | %d | %.1f s | %.0f ms | %s |",
          failure,
          reads,
          failedReads,
          writes,
          failedWrites,
          acknowledged,
          lost,
          recoverySeconds,
          slowestMs,
          observed);
    }

    /** The table header. */
    public static String header() {
      return "| failure | reads | failed reads | writes | failed writes | acknowledged records |"
          + " lost | time to recover | slowest request | also observed |\n"
          + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|";
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
    awaitSteady(state, api, dataSet, run);
    Map<String, Long> acked = new java.util.concurrent.ConcurrentHashMap<>();
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ids = new AtomicInteger();
    long begin = System.nanoTime();
    long end = begin + duration.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> loops = new ArrayList<>();
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
                              record(id),
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
    Stored readBack = storedIds(api, dataSet);
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
        observed);
  }

  /**
   * Waits until the region has settled (after an earlier drill, say): every process running and
   * every service ready, and ten writes in a row acknowledged.
   */
  private static void awaitSteady(RegionState state, MonitoringApi api, String dataSet, String run)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int inARow = 0;
    int n = 0;
    String problem = "";
    while (inARow < 10) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the region did not settle within 120 s before the drill: " + problem);
      }
      List<String> unsettled = new ArrayList<>();
      for (RegionState.Process p : state.processes) {
        if (!p.running()) {
          unsettled.add(p.name() + " not running");
        } else if (p.role().endsWith("-service")) {
          io.vigil.process.Http.Response r =
              io.vigil.process.Http.get(p.management() + "/q/health/ready");
          if (r.status() != 200) {
            unsettled.add(p.name() + " not ready: " + r.body().replaceAll("\\s+", " "));
          }
        }
      }
      boolean stored = false;
      if (unsettled.isEmpty()) {
        String id = "settle-" + run + "-" + n++;
        HttpResponse<String> r =
            api.send(
                "POST", "/data_sets/" + dataSet + "/records", record(id), "Idempotency-Key", id);
        stored = r.statusCode() == 202;
        if (!stored) {
          unsettled.add("a write answered " + r.statusCode() + ": " + r.body());
        }
      }
      problem = String.join("; ", unsettled);
      inARow = stored ? inARow + 1 : 0;
      if (!stored) {
        Thread.sleep(500);
      }
    }
  }

  /** The ids of every stored record, and how often the read-back was asked to retry. */
  private record Stored(Set<String> ids, int refusals) {}

  /**
   * Reads every stored record back, as a client does: a 503 with {@code Retry-After} (the region
   * still settling after the mend) is tried again for 30 s at most; any other failure ends the
   * drill.
   */
  private static Stored storedIds(MonitoringApi api, String dataSet) throws Exception {
    Set<String> ids = new HashSet<>();
    AtomicInteger refusals = new AtomicInteger();
    for (int offset = 0; ; offset += 500) {
      JsonNode page =
          api.getPatiently(
              "/data_sets/" + dataSet + "/records?limit=500&offset=" + offset,
              Duration.ofSeconds(30),
              refusals);
      JsonNode records = page.path("records");
      records.forEach(r -> ids.add(r.path("metadata").path("id").asText()));
      if (records.size() < 500) {
        return new Stored(ids, refusals.get());
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
