package io.vigil.cli.drill;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.cli.region.MonitoringApi;
import io.vigil.cli.region.RegionState;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The records a load drill writes and reads back, and the wait for a settled region before it. */
final class DrillData {

  private DrillData() {}

  /**
   * Waits until the region has settled (after an earlier drill, say): every process running and
   * every service ready, and ten writes in a row acknowledged.
   */
  static void awaitSteady(RegionState state, MonitoringApi api, String dataSet, String run)
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
  record Stored(Set<String> ids, int refusals) {}

  /**
   * Reads every stored record back, as a client does: a 503 with {@code Retry-After} (the region
   * still settling after the mend) is tried again for 30 s at most; any other failure ends the
   * drill.
   */
  static Stored storedIds(MonitoringApi api, String dataSet) throws Exception {
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

  static String record(String id) {
    return "[{\"scoring_id\":\""
        + id
        + "\",\"scoring_timestamp\":\"2026-11-01T00:00:00Z\","
        + "\"request\":{\"fields\":[\"Age\",\"Sex\",\"LoanAmount\"],\"values\":[[41,\"female\",2500]]},"
        + "\"response\":{\"fields\":[\"probability\",\"prediction\"],\"values\":[[[0.8,0.2],\"No Risk\"]]}}]";
  }
}
