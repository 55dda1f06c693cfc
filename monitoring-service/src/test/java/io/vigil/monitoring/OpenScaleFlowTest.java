package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.vigil.process.PostgresServer;
import io.vigil.testkit.PostgresResource;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The flow an OpenScale client follows: a credit-risk subscription, payload and feedback records,
 * quality, fairness, drift_v2 and performance monitors, their runs, measurements and metrics.
 * Expected values are counted here from the generated data, independently of the metric code.
 */
@QuarkusTest
class OpenScaleFlowTest {

  static final int PAYLOAD = 200;
  static final int FEEDBACK = 120;

  /**
   * Deterministic credit-risk rows: females get "No Risk" (favourable) one time in four, males
   * three in four.
   */
  static String sex(int i) {
    return i % 2 == 0 ? "female" : "male";
  }

  static int age(int i) {
    return 20 + (i * 7) % 50;
  }

  static String prediction(int i) {
    boolean favourable = sex(i).equals("female") ? (i / 2) % 4 == 0 : (i / 2) % 4 != 0;
    return favourable ? "No Risk" : "Risk";
  }

  static double pRisk(int i) {
    return prediction(i).equals("Risk") ? 0.6 + (i % 4) * 0.1 : 0.1 + (i % 3) * 0.1;
  }

  /** The true label: the prediction is wrong for every fifth row. */
  static String label(int i) {
    String p = prediction(i);
    return i % 5 == 0 ? (p.equals("Risk") ? "No Risk" : "Risk") : p;
  }

  static List<Object> payload(int from, int to, int ageShift) {
    List<Object> batch = new ArrayList<>();
    for (int i = from; i < to; i++) {
      List<Object> in = List.of(age(i) + ageShift, sex(i), 1000 + i);
      List<Object> out = new ArrayList<>(in);
      out.add(List.of(1 - pRisk(i), pRisk(i)));
      out.add(prediction(i));
      batch.add(
          Map.of(
              "scoring_id", "s-" + i,
              "request",
                  Map.of("fields", List.of("Age", "Sex", "LoanAmount"), "values", List.of(in)),
              "response",
                  Map.of(
                      "fields",
                      List.of("Age", "Sex", "LoanAmount", "probability", "prediction"),
                      "values",
                      List.of(out))));
    }
    return batch;
  }

  @Test
  void aClientMonitorsQualityFairnessDriftAndPerformance() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payloadSet = t.dataSet(subscription, "payload_logging");
    String feedbackSet = t.dataSet(subscription, "feedback");
    t.api()
        .body(payload(0, PAYLOAD, 0))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    List<Object> feedback = new ArrayList<>();
    for (int i = 0; i < FEEDBACK; i++) {
      // feedback rows carry the label only; the prediction comes from the payload record with the
      // same scoring_id
      feedback.add(Map.of("scoring_id", "s-" + i, "Age", age(i), "Sex", sex(i), "Risk", label(i)));
    }
    t.api().body(feedback).post("/data_sets/" + feedbackSet + "/records").then().statusCode(202);

    String quality =
        t.monitor(
            "quality", subscription, Map.of("parameters", Map.of("min_feedback_data_size", 100)));
    String fairness =
        t.monitor("fairness", subscription, Map.of("parameters", ApiFixture.FAIRNESS_BY_SEX));
    String drift =
        t.monitor(
            "drift_v2",
            subscription,
            Map.of("parameters", Map.of("min_samples", 50, "max_samples", 100)));
    String performance = t.monitor("performance", subscription, Map.of());

    // quality: counted here from the generated rows
    int tp = 0, fp = 0, tn = 0, fn = 0;
    for (int i = 0; i < FEEDBACK; i++) {
      boolean actualRisk = label(i).equals("Risk");
      boolean predictedRisk = prediction(i).equals("Risk");
      if (actualRisk && predictedRisk) tp++;
      else if (!actualRisk && predictedRisk) fp++;
      else if (!actualRisk) tn++;
      else fn++;
    }
    JsonPath q = runAndMeasure(t, quality);
    assertThat(metric(q, "accuracy")).isCloseTo((double) (tp + tn) / FEEDBACK, within(1e-9));
    assertThat(metric(q, "precision")).isCloseTo((double) tp / (tp + fp), within(1e-9));
    assertThat(metric(q, "recall")).isCloseTo((double) tp / (tp + fn), within(1e-9));
    assertThat(metric(q, "area_under_roc")).isBetween(0.5, 1.0);
    assertThat(q.getList("entity.sources[0].data.matrix[1]", Double.class))
        .containsExactly((double) fn, (double) tp);
    assertThat(q.getInt("entity.issue_count")).isEqualTo(metric(q, "area_under_roc") < 0.8 ? 1 : 0);

    // fairness over the latest 100 payload records (ids 100..199)
    int femaleFav = 0, female = 0, maleFav = 0, male = 0;
    for (int i = PAYLOAD - 100; i < PAYLOAD; i++) {
      boolean fav = prediction(i).equals("No Risk");
      if (sex(i).equals("female")) {
        female++;
        femaleFav += fav ? 1 : 0;
      } else {
        male++;
        maleFav += fav ? 1 : 0;
      }
    }
    double expectedDi = ((double) femaleFav / female) / ((double) maleFav / male) * 100;
    JsonPath f = runAndMeasure(t, fairness);
    assertThat(metric(f, "fairness_value")).isCloseTo(expectedDi, within(1e-9));
    assertThat(
            f.getDouble("entity.values[0].metrics.find { it.id == 'fairness_value' }.lower_limit"))
        .isCloseTo(95.0, within(1e-9));
    assertThat(f.getInt("entity.issue_count")).isEqualTo(1); // 33 % is far below 95 %

    // drift: baseline = the earliest 100 payload records, window = the latest 100, same generator
    JsonPath d = runAndMeasure(t, drift);
    assertThat(metric(d, "prediction_drift_score")).isBetween(0.0, 0.05);
    double quietAge =
        d.getDouble(
            "entity.values.find { it.tags[0]?.value == 'Age' }.metrics.find { it.id == 'feature_drift_score' }.value");
    // then the population ages by 30 years: Age drifts, the others do not
    t.api()
        .body(payload(PAYLOAD, PAYLOAD + 100, 30))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    JsonPath d2 = runAndMeasure(t, drift);
    double shiftedAge =
        d2.getDouble(
            "entity.values.find { it.tags[0]?.value == 'Age' }.metrics.find { it.id == 'feature_drift_score' }.value");
    assertThat(shiftedAge).isGreaterThan(quietAge + 0.3);
    assertThat(
            d2.getDouble(
                "entity.values.find { it.tags[0]?.value == 'Age' }.metrics.find { it.id == 'ks_p_value' }.value"))
        .isLessThan(0.001);
    assertThat(d2.getInt("entity.issue_count")).isGreaterThan(0);

    JsonPath p = runAndMeasure(t, performance);
    assertThat(metric(p, "record_count")).isEqualTo(PAYLOAD + 100.0);

    // the latest measurement of each monitor, and the metrics view
    t.api()
        .queryParam("target_id", subscription)
        .get("/measurements")
        .then()
        .statusCode(200)
        .body("measurements", hasSize(4));
    t.api()
        .queryParam("agg", "feature_drift_score:max")
        .queryParam("interval", "day")
        .get("/monitor_instances/" + drift + "/metrics")
        .then()
        .statusCode(200)
        .body("interval", is("day"))
        .body(
            "groups.find { g -> g.tags.any { t -> t.id == 'baseline_count' } }.metrics.find { m -> m.id == 'feature_drift_score' }.values",
            hasSize(1))
        .body(
            "groups.find { g -> g.tags.any { t -> t.value == 'Age' } }.metrics.find { m -> m.id == 'feature_drift_score' }.values[0].value",
            is((float) Math.max(quietAge, shiftedAge)));
  }

  @Test
  void aRunWithoutEnoughDataEndsInAClearError() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String quality = t.monitor("quality", subscription, Map.of());
    String run = t.runUntil(quality, "error");
    t.api()
        .get("/monitor_instances/" + quality + "/runs/" + run)
        .then()
        .body("entity.status.failure.errors[0].code", is("insufficient_data"));
    t.api()
        .get("/monitor_instances/" + quality + "/measurements")
        .then()
        .body("measurements", hasSize(0));
    isError(
        t.api()
            .body("{\"triggered_by\": \"cron\"}")
            .post("/monitor_instances/" + quality + "/runs")
            .then(),
        400,
        "invalid_request");
    isError(t.api().body("{}").post("/monitor_instances/nope/runs").then(), 404, "not_found");
  }

  @Test
  void aRunWhoseInstanceDiedIsTakenOverByAnother() throws Exception {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String performance = t.monitor("performance", subscription, Map.of());
    // a run claimed by an instance in another zone that died a minute ago
    PostgresServer pg = PostgresResource.current();
    try (Connection c = pg.connect(PostgresServer.DATABASE);
        var s =
            c.prepareStatement(
                "INSERT INTO monitor_runs (id, service_instance_id, monitor_instance_id, triggered_by, status, owner, heartbeat_at, started_at, attempts)"
                    + " VALUES ('orphan-1', ?, ?, 'scheduler', 'running', 'monitoring-zone-c/dead', now() - interval '1 minute', now() - interval '1 minute', 1)")) {
      s.setString(1, t.id());
      s.setString(2, performance);
      s.executeUpdate();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                t.api()
                    .get("/monitor_instances/" + performance + "/runs/orphan-1")
                    .then()
                    .body("entity.status.state", is("finished")));
    t.api()
        .queryParam("run_id", "orphan-1")
        .get("/monitor_instances/" + performance + "/measurements")
        .then()
        .body("measurements", hasSize(1));
  }

  @Test
  void scheduledMonitorsRunByThemselvesAndClientsCanPostMeasurements() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String performance =
        t.monitor(
            "performance",
            subscription,
            Map.of("schedule", Map.of("repeat_interval", 1, "repeat_unit", "hour")));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                t.api()
                    .get("/monitor_instances/" + performance + "/runs")
                    .then()
                    .body("runs", hasSize(1))
                    .body("runs[0].entity.triggered_by", is("scheduler")));

    String custom =
        t.create(
            "/monitor_definitions",
            Map.of(
                "name",
                "Revenue",
                "metrics",
                List.of(
                    Map.of(
                        "id",
                        "revenue",
                        "name",
                        "Revenue",
                        "thresholds",
                        List.of(Map.of("type", "lower_limit", "default", 100))))));
    String kpi = t.monitor(custom, subscription, Map.of());
    t.api()
        .body(
            List.of(
                Map.of(
                    "timestamp",
                    "2026-11-01T10:00:00Z",
                    "values",
                    List.of(Map.of("metrics", List.of(Map.of("id", "revenue", "value", 80)))))))
        .post("/monitor_instances/" + kpi + "/measurements")
        .then()
        .statusCode(202)
        .body("[0].entity.issue_count", is(1))
        .body("[0].entity.values[0].metrics[0].lower_limit", is(100.0f));
    isError(
        t.api()
            .body(
                List.of(
                    Map.of(
                        "values",
                        List.of(
                            Map.of("metrics", List.of(Map.of("id", "revenue", "value", "lots")))))))
            .post("/monitor_instances/" + kpi + "/measurements")
            .then(),
        400,
        "invalid_request");
    t.api()
        .get("/monitor_instances/" + kpi + "/measurements")
        .then()
        .body("measurements", hasSize(1));

    // an external monitor's run: Vigil hands it to the client (running, never reclaimed), the
    // client posts the run's measurement and ends it with a JSON Patch
    String external =
        t.api()
            .body("{\"triggered_by\": \"user\"}")
            .post("/monitor_instances/" + kpi + "/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("metadata.id");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                t.api()
                    .get("/monitor_instances/" + kpi + "/runs/" + external)
                    .then()
                    .body("entity.status.state", is("running"))
                    .body("entity.status.message", containsString("computed by the client")));
    t.api()
        .body(
            List.of(
                Map.of(
                    "run_id",
                    external,
                    "values",
                    List.of(Map.of("metrics", List.of(Map.of("id", "revenue", "value", 120)))))))
        .post("/monitor_instances/" + kpi + "/measurements")
        .then()
        .statusCode(202);
    // only the status may change, to a state a client may set
    isError(
        t.api()
            .contentType("application/json-patch+json")
            .body(List.of(Map.of("op", "replace", "path", "/triggered_by", "value", "webhook")))
            .patch("/monitor_instances/" + kpi + "/runs/" + external)
            .then(),
        400,
        "invalid_request");
    isError(
        t.api()
            .contentType("application/json-patch+json")
            .body(List.of(Map.of("op", "replace", "path", "/status/state", "value", "queued")))
            .patch("/monitor_instances/" + kpi + "/runs/" + external)
            .then(),
        400,
        "invalid_request");
    t.api()
        .contentType("application/json-patch+json")
        .body(
            List.of(
                Map.of("op", "replace", "path", "/status/state", "value", "finished"),
                Map.of("op", "add", "path", "/status/message", "value", "revenue measured")))
        .patch("/monitor_instances/" + kpi + "/runs/" + external)
        .then()
        .statusCode(200)
        .body("entity.status.state", is("finished"))
        .body("entity.status.message", is("revenue measured"))
        .body("entity.status.completed_at", org.hamcrest.Matchers.notNullValue());
    t.api()
        .queryParam("run_id", external)
        .get("/monitor_instances/" + kpi + "/measurements")
        .then()
        .body("measurements", hasSize(1))
        .body("measurements[0].entity.issue_count", is(0));
    // a run Vigil computed (the scheduler's performance run) cannot be rewritten by a client
    String computed =
        t.api()
            .get("/monitor_instances/" + performance + "/runs")
            .then()
            .extract()
            .path("runs[0].metadata.id");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                t.api()
                    .get("/monitor_instances/" + performance + "/runs/" + computed)
                    .then()
                    .body("entity.status.state", org.hamcrest.Matchers.oneOf("finished", "error")));
    String state =
        t.api()
            .get("/monitor_instances/" + performance + "/runs/" + computed)
            .then()
            .extract()
            .path("entity.status.state");
    isError(
        t.api()
            .contentType("application/json-patch+json")
            .body(List.of(Map.of("op", "replace", "path", "/status/state", "value", "error")))
            .patch("/monitor_instances/" + performance + "/runs/" + computed)
            .then(),
        409,
        "conflict");
    t.api()
        .get("/monitor_instances/" + performance + "/runs/" + computed)
        .then()
        .body("entity.status.state", is(state));
  }

  private static JsonPath runAndMeasure(ApiFixture t, String monitor) {
    String run = t.runUntil(monitor, "finished");
    return t.api()
        .queryParam("run_id", run)
        .get("/monitor_instances/" + monitor + "/measurements")
        .then()
        .statusCode(200)
        .body("measurements", hasSize(1))
        .extract()
        .jsonPath()
        .using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE))
        .setRootPath("measurements[0]");
  }

  private static double metric(JsonPath m, String id) {
    return m.getDouble("entity.values[0].metrics.find { it.id == '" + id + "' }.value");
  }
}
