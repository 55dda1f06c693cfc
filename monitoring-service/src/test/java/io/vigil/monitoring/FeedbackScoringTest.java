package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vigil.process.ScoringServer;
import io.vigil.process.WebhookReceiver.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * IBM's notebooks log feedback as features + label: quality scores such rows through the
 * subscription's deployment (a real HTTP model server here) and keeps the predictions with them.
 * The deployment slow, failing and down: the run ends in {@code scoring_failed}, nothing hangs, no
 * row is half-written, and the circuit breaker stops calling a deployment that keeps failing.
 */
@QuarkusTest
class FeedbackScoringTest {

  static final List<String> LABELS = List.of("No Risk", "Risk");
  static final int ROWS = 60;

  /** The model: risky above a loan of 5000. */
  static double[] model(Map<String, JsonNode> row) {
    double risk = row.get("LoanAmount").asDouble() > 5000 ? 0.8 : 0.3;
    return new double[] {1 - risk, risk};
  }

  static int loan(int i) {
    return 1000 + i * 200;
  }

  /** The true label: the model is wrong on every fourth row. */
  static String label(int i) {
    boolean risk = loan(i) > 5000;
    return (i % 4 == 0) != risk ? "Risk" : "No Risk";
  }

  static List<Object> labelOnly(int from, int to) {
    List<Object> rows = new ArrayList<>();
    for (int i = from; i < to; i++) {
      rows.add(
          Map.of(
              "Age",
              20 + i % 40,
              "Sex",
              i % 2 == 0 ? "female" : "male",
              "LoanAmount",
              loan(i),
              "Risk",
              label(i)));
    }
    return rows;
  }

  /** A tenant with a custom ML provider whose credentials the deployment checks. */
  record Setup(ApiFixture t, String subscription, String feedback, String quality) {}

  static Setup setup(String scoringUrl) {
    ApiFixture t = ApiFixture.newTenant();
    t.api().body(Map.of("name", "mart")).post("/data_marts");
    String provider =
        t.create(
            "/service_providers",
            Map.of(
                "name", "custom",
                "service_type", "custom_machine_learning",
                "credentials", Map.of("username", "scorer", "password", "s3cret-pass")));
    String subscription =
        t.create(
            "/subscriptions",
            Map.of(
                "data_mart_id", t.id(),
                "service_provider_id", provider,
                "asset", Map.of("asset_id", "credit", "name", "Credit", "problem_type", "binary"),
                "deployment",
                    Map.of(
                        "deployment_id",
                        "credit-prod",
                        "scoring_endpoint",
                        Map.of("url", scoringUrl)),
                "asset_properties",
                    Map.of(
                        "label_column",
                        "Risk",
                        "prediction_field",
                        "prediction",
                        "probability_fields",
                        List.of("probability"),
                        "feature_fields",
                        List.of("Age", "Sex", "LoanAmount"),
                        "labels",
                        LABELS)));
    String feedback = t.dataSet(subscription, "feedback");
    String quality =
        t.monitor(
            "quality", subscription, Map.of("parameters", Map.of("min_feedback_data_size", 50)));
    return new Setup(t, subscription, feedback, quality);
  }

  static void store(Setup s, List<Object> rows) {
    s.t().api().body(rows).post("/data_sets/" + s.feedback() + "/records").then().statusCode(202);
  }

  /** How many stored feedback rows carry a prediction; every one carries its probability too. */
  static int scoredRows(Setup s) {
    JsonPath page =
        s.t()
            .api()
            .queryParam("limit", 1000)
            .get("/data_sets/" + s.feedback() + "/records")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    List<Map<String, Object>> values = page.getList("records.entity.values");
    int scored = 0;
    for (Map<String, Object> v : values) {
      assertThat(v.containsKey("prediction"))
          .as("prediction and probability are stored together: " + v)
          .isEqualTo(v.containsKey("probability"));
      scored += v.containsKey("prediction") ? 1 : 0;
    }
    return scored;
  }

  static JsonPath run(Setup s) {
    String run = s.t().runUntil(s.quality(), "finished");
    return s.t()
        .api()
        .queryParam("run_id", run)
        .get("/monitor_instances/" + s.quality() + "/measurements")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  /** A counter's value on /q/metrics (0 before it exists). */
  static double metric(String series) {
    String text =
        io.vigil.testkit.Management.given()
            .get("/q/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }

  /** Queues a run and answers the state it ends in. */
  static String runEnds(Setup s) {
    String run =
        s.t()
            .api()
            .body("{\"triggered_by\": \"user\"}")
            .post("/monitor_instances/" + s.quality() + "/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("metadata.id");
    String[] state = new String[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              state[0] =
                  s.t()
                      .api()
                      .get("/monitor_instances/" + s.quality() + "/runs/" + run)
                      .jsonPath()
                      .getString("entity.status.state");
              return state[0].equals("finished") || state[0].equals("error");
            });
    return state[0];
  }

  static String failure(Setup s) {
    String run = s.t().runUntil(s.quality(), "error");
    JsonPath r = s.t().api().get("/monitor_instances/" + s.quality() + "/runs/" + run).jsonPath();
    assertThat(r.getString("entity.status.failure.errors[0].code")).isEqualTo("scoring_failed");
    return r.getString("entity.status.failure.errors[0].message");
  }

  @Test
  void labelOnlyFeedbackIsScoredThroughTheDeploymentAndKeptWithTheRows() throws Exception {
    try (ScoringServer model =
        ScoringServer.start(LABELS, FeedbackScoringTest::model, "scorer", "s3cret-pass")) {
      Setup s = setup(model.url());
      store(s, labelOnly(0, ROWS));

      double scoredBefore = metric("vigil_scoring_rows_total");
      JsonPath m = run(s);
      assertThat(metric("vigil_scoring_rows_total") - scoredBefore).isEqualTo(ROWS);
      assertThat(
              m.getDouble(
                  "measurements[0].entity.values[0].metrics.find { it.id == 'accuracy' }.value"))
          .isEqualTo(45.0 / 60);
      assertThat(model.rowsScored()).isEqualTo(ROWS);
      assertThat(model.batchSizes()).containsExactly(25, 25, 10);
      assertThat(scoredRows(s)).isEqualTo(ROWS);

      // scored rows are kept: the next run calls the deployment for new rows only
      store(s, labelOnly(ROWS, ROWS + 8));
      run(s);
      assertThat(model.rowsScored()).isEqualTo(ROWS + 8);
      assertThat(scoredRows(s)).isEqualTo(ROWS + 8);
    }
  }

  @Test
  void aSlowDeploymentEndsTheRunAtItsTimeoutAndNothingIsStored() throws Exception {
    try (ScoringServer model =
        ScoringServer.start(LABELS, FeedbackScoringTest::model, "scorer", "s3cret-pass")) {
      model.behave(n -> Answer.hang(Duration.ofSeconds(4)));
      Setup s = setup(model.url());
      store(s, labelOnly(0, ROWS));
      long started = System.nanoTime();
      String message = failure(s);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
      assertThat(message).startsWith("no feedback row could be scored").contains(model.url());
      assertThat(scoredRows(s)).isZero();
    }
  }

  @Test
  void aDownDeploymentEndsTheRunAndNothingIsStored() throws Exception {
    ScoringServer model =
        ScoringServer.start(LABELS, FeedbackScoringTest::model, "scorer", "s3cret-pass");
    String url = model.url();
    model.close();
    Setup s = setup(url);
    store(s, labelOnly(0, ROWS));
    assertThat(failure(s)).contains("scoring through " + url + " failed");
    assertThat(scoredRows(s)).isZero();
  }

  @Test
  void aFailingDeploymentKeepsWholeBatchesAndItsBreakerOpensThenRecovers() throws Exception {
    try (ScoringServer model =
        ScoringServer.start(LABELS, FeedbackScoringTest::model, "scorer", "s3cret-pass")) {
      // the first batch is scored, then the model fails: 1 request + 3 attempts of the second
      model.behave(n -> n == 0 ? Answer.of(200) : Answer.of(500));
      Setup s = setup(model.url());
      store(s, labelOnly(0, ROWS));
      double failedBefore = metric("vigil_scoring_requests_total{outcome=\"failed\"}");
      assertThat(failure(s))
          .startsWith("25 feedback rows were scored and kept")
          .contains("answered 500");
      assertThat(model.requests()).isEqualTo(4);
      assertThat(scoredRows(s)).isEqualTo(25);
      assertThat(metric("vigil_scoring_requests_total{outcome=\"failed\"}") - failedBefore)
          .isEqualTo(1);

      // three failures in four calls opened the breaker: the next run does not call the model
      assertThat(failure(s)).contains("circuit breaker is open");
      assertThat(model.requests()).isEqualTo(4);

      // after the breaker's delay a healthy model is called again and scoring goes on
      model.behave(n -> Answer.of(200));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> runEnds(s).equals("finished"));
      assertThat(scoredRows(s)).isEqualTo(ROWS);
      assertThat(model.rowsScored()).isEqualTo(ROWS);
    }
  }
}
