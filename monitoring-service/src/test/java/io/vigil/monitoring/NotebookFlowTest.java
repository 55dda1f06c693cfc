package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vigil.process.ScoringServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * IBM's notebook flow over HTTP, step by step as the OpenScale Python SDK sends it (its request
 * bodies, query parameters and formats: {@code PayloadRecord} JSON, label-only feedback, CSV,
 * {@code str(datetime)} times, a bare {@code agg}), each answer checked for what the SDK's parsers
 * require and for nulls. Label-only feedback is scored through a real model server; late labels
 * sent by PATCH change quality. The steps are written to {@code target/notebook-flow.txt}.
 */
@QuarkusTest
class NotebookFlowTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter PYTHON_STR =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
  static final List<String> LABELS = List.of("No Risk", "Risk");
  static final int PAYLOAD = 200;
  static final int FEEDBACK_JSON = 40;
  static final int FEEDBACK_CSV = 20;

  private final List<String> steps = new ArrayList<>();
  private ApiFixture t;

  static boolean risky(int loan) {
    return loan > 5000;
  }

  static int loan(int i) {
    return 1000 + (i * 733) % 9000;
  }

  static String sex(int i) {
    return i % 3 == 0 ? "female" : "male";
  }

  /** The true label of feedback row i: the model is wrong on every fourth row. */
  static String label(int i) {
    return (i % 4 == 0) != risky(loan(i)) ? "Risk" : "No Risk";
  }

  /** One SDK call: the request as the SDK builds it; the answer must be 2xx without nulls. */
  private JsonNode sdk(
      String call, String method, String path, UnaryOperator<RequestSpecification> req)
      throws Exception {
    Response r = req.apply(t.api()).request(method, path);
    assertThat(r.statusCode()).as(call + ": " + r.asString()).isBetween(200, 299);
    step(call, method, path);
    String body = r.asString();
    JsonNode json = body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
    assertThat(SdkContractTest.nulls(json, "$")).as(call).isEmpty();
    return json;
  }

  private void step(String call, String method, String path) {
    steps.add(
        String.format(
            "%2d. %-50s %s %s",
            steps.size() + 1,
            call,
            method,
            path.replaceAll(
                "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}")));
  }

  private JsonNode sdk(String call, String method, String path) throws Exception {
    return sdk(call, method, path, r -> r);
  }

  /** {@code add(background_mode=False)}: the SDK polls until entity.status.state is active. */
  private void active(String path) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> t.api().get(path).jsonPath().getString("entity.status.state").equals("active"));
  }

  /**
   * {@code monitor_instances.create(MONITORS.<name>.ID, background_mode=False)}: the SDK's body,
   * then polled until active; answers the instance id.
   */
  private String monitor(
      String name,
      String mart,
      Map<String, Object> target,
      Map<String, Object> parameters,
      Map<String, Object> threshold)
      throws Exception {
    String id =
        sdk(
                "monitor_instances.create(" + name + ")",
                "POST",
                "/monitor_instances",
                r ->
                    r.body(
                        Map.of(
                            "data_mart_id",
                            mart,
                            "monitor_definition_id",
                            name.toLowerCase(java.util.Locale.ROOT),
                            "target",
                            target,
                            "parameters",
                            parameters,
                            "thresholds",
                            List.of(threshold))))
            .path("metadata")
            .path("id")
            .asText();
    active("/monitor_instances/" + id);
    return id;
  }

  /** {@code monitor_instances.run(background_mode=False)}: POST a run, poll it to its end. */
  private String run(String call, String monitor) throws Exception {
    String run =
        sdk(
                call,
                "POST",
                "/monitor_instances/" + monitor + "/runs",
                r -> r.body(Map.of("triggered_by", "user")))
            .path("metadata")
            .path("id")
            .asText();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                List.of("finished", "error")
                    .contains(
                        t.api()
                            .get("/monitor_instances/" + monitor + "/runs/" + run)
                            .jsonPath()
                            .getString("entity.status.state")));
    JsonNode ended =
        JSON.readTree(t.api().get("/monitor_instances/" + monitor + "/runs/" + run).asString());
    assertThat(ended.path("entity").path("status").path("state").asText())
        .as(ended.toString())
        .isEqualTo("finished");
    return run;
  }

  /** {@code get_metrics}: a bare agg=last between two str(datetime) times; metric id to value. */
  private Map<String, Double> lastMetrics(String call, String monitor, String start, String end)
      throws Exception {
    JsonNode m =
        sdk(
            call,
            "GET",
            "/monitor_instances/" + monitor + "/metrics",
            r -> r.queryParam("start", start).queryParam("end", end).queryParam("agg", "last"));
    Map<String, Double> out = new java.util.HashMap<>();
    for (JsonNode group : m.path("groups")) {
      for (JsonNode item : group.path("metrics")) {
        out.put(item.path("id").asText(), item.path("last").path("value").get(0).asDouble());
      }
    }
    return out;
  }

  /** {@code show_metrics}: the measurements between two str(datetime) times. */
  private JsonNode measurements(String call, String monitor, String start, String end)
      throws Exception {
    JsonNode m =
        sdk(
            call,
            "GET",
            "/monitor_instances/" + monitor + "/measurements",
            r -> r.queryParam("start", start).queryParam("end", end));
    assertThat(m.path("measurements").size()).isGreaterThan(0);
    for (JsonNode one : m.path("measurements")) {
      assertThat(one.path("entity").path("values").size()).isGreaterThan(0);
      assertThat(one.path("entity").path("timestamp").asText()).isNotEmpty();
    }
    return m;
  }

  @Test
  void theStandardNotebookFlowRunsAsTheSdkSendsIt() throws Exception {
    t = ApiFixture.newTenant();
    String start = LocalDateTime.now(ZoneOffset.UTC).minusMinutes(5).format(PYTHON_STR);
    try (ScoringServer model =
        ScoringServer.start(
            LABELS,
            row ->
                risky(row.get("LoanAmount").asInt())
                    ? new double[] {0.2, 0.8}
                    : new double[] {0.7, 0.3},
            "notebook",
            "model-pass-123")) {

      // APIClient(...): the client's probe; a 404 is what it accepts from a service without it
      assertThat(t.api().get("/fairness/heartbeat").statusCode()).isEqualTo(404);
      sdk("data_marts.list()", "GET", "/data_marts");
      String mart =
          sdk(
                  "data_marts.add(background_mode=False)",
                  "POST",
                  "/data_marts",
                  r ->
                      r.body(
                          Map.of(
                              "name",
                              "WOS Data Mart",
                              "description",
                              "Data Mart created by WOS tutorial notebook",
                              "internal_database",
                              true)))
              .path("metadata")
              .path("id")
              .asText();
      active("/data_marts/" + mart);

      JsonNode provider =
          sdk(
              "service_providers.add(CUSTOM_MACHINE_LEARNING)",
              "POST",
              "/service_providers",
              r ->
                  r.body(
                      Map.of(
                          "name", "Custom ML",
                          "description", "custom engine",
                          "service_type", "custom_machine_learning",
                          "operational_space_id", "production",
                          "credentials",
                              Map.of(
                                  "url",
                                  model.url(),
                                  "username",
                                  "notebook",
                                  "password",
                                  "model-pass-123"))));
      assertThat(provider.toString()).doesNotContain("model-pass-123");
      assertThat(provider.path("entity").path("credentials").path("secret_id").asText())
          .isNotEmpty();
      String providerId = provider.path("metadata").path("id").asText();
      active("/service_providers/" + providerId);

      String subscription =
          sdk(
                  "subscriptions.add(background_mode=False)",
                  "POST",
                  "/subscriptions",
                  r ->
                      r.body(
                          Map.of(
                              "data_mart_id", mart,
                              "service_provider_id", providerId,
                              "asset",
                                  Map.of(
                                      "asset_id",
                                      "credit-risk",
                                      "name",
                                      "German credit risk",
                                      "url",
                                      model.url(),
                                      "asset_type",
                                      "model",
                                      "input_data_type",
                                      "structured",
                                      "problem_type",
                                      "binary"),
                              "deployment",
                                  Map.of(
                                      "deployment_id",
                                      "credit-risk-online",
                                      "name",
                                      "credit risk",
                                      "deployment_type",
                                      "online",
                                      "scoring_endpoint",
                                      Map.of("url", model.url())),
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
                                      "categorical_fields",
                                      List.of("Sex"),
                                      "labels",
                                      LABELS))))
              .path("metadata")
              .path("id")
              .asText();
      active("/subscriptions/" + subscription);

      UnaryOperator<RequestSpecification> payloadSets =
          r ->
              r.queryParam("type", "payload_logging")
                  .queryParam("target.target_id", subscription)
                  .queryParam("target.target_type", "subscription");
      String payloadSet =
          sdk("data_sets.list(type=payload_logging)", "GET", "/data_sets", payloadSets)
              .path("data_sets")
              .get(0)
              .path("metadata")
              .path("id")
              .asText();
      JsonNode feedbackSets =
          sdk(
              "data_sets.list(type=feedback)",
              "GET",
              "/data_sets",
              r ->
                  r.queryParam("type", "feedback")
                      .queryParam("target.target_id", subscription)
                      .queryParam("target.target_type", "subscription"));
      String feedbackSet =
          feedbackSets.path("data_sets").get(0).path("metadata").path("id").asText();
      assertThat(
              feedbackSets
                  .path("data_sets")
                  .get(0)
                  .path("entity")
                  .path("data_schema")
                  .path("type")
                  .asText())
          .isEqualTo("struct");

      // payload as PayloadRecord.to_json() builds it
      List<Object> payload = new ArrayList<>();
      for (int i = 0; i < PAYLOAD; i++) {
        boolean risk = risky(loan(i));
        List<Object> in = List.of(20 + i % 50, sex(i), loan(i));
        List<Object> out = new ArrayList<>(in);
        out.add(risk ? List.of(0.2, 0.8) : List.of(0.7, 0.3));
        out.add(risk ? "Risk" : "No Risk");
        payload.add(
            Map.of(
                "scoring_id",
                "tx-" + i,
                "scoring_timestamp",
                "2026-11-30T0" + (i < 100 ? "1" : "2") + ":00:00.000Z",
                "request",
                Map.of("fields", List.of("Age", "Sex", "LoanAmount"), "values", List.of(in)),
                "response",
                Map.of(
                    "fields",
                    List.of("Age", "Sex", "LoanAmount", "probability", "prediction"),
                    "values",
                    List.of(out)),
                "response_time",
                120));
      }
      Response stored = t.api().body(payload).post("/data_sets/" + payloadSet + "/records");
      assertThat(stored.statusCode()).isEqualTo(202);
      step("data_sets.store_records(payload, [PayloadRecord])", "POST", "/data_sets/{id}/records");
      String location = stored.header("Location");
      sdk(
          "data_sets.get_update_status(request_id)",
          "GET",
          location.substring(location.indexOf("/data_sets/")));

      // feedback as the notebooks log it: features + label, no prediction, no scoring id
      List<Object> feedback = new ArrayList<>();
      for (int i = 0; i < FEEDBACK_JSON; i++) {
        feedback.add(
            Map.of("Age", 100 + i, "Sex", sex(i), "LoanAmount", loan(i), "Risk", label(i)));
      }
      sdk(
          "data_sets.store_records(feedback, [dict])",
          "POST",
          "/data_sets/" + feedbackSet + "/records",
          r -> r.body(feedback));
      StringBuilder csv = new StringBuilder("Age,Sex,LoanAmount,Risk\n");
      for (int i = FEEDBACK_JSON; i < FEEDBACK_JSON + FEEDBACK_CSV; i++) {
        csv.append(100 + i)
            .append(',')
            .append(sex(i))
            .append(',')
            .append(loan(i))
            .append(',')
            .append(label(i))
            .append('\n');
      }
      sdk(
          "data_sets.store_records(feedback, csv file)",
          "POST",
          "/data_sets/" + feedbackSet + "/records",
          r ->
              r.contentType("text/csv")
                  .queryParam("header", true)
                  .queryParam("delimiter", ",")
                  .queryParam("on_error", "continue")
                  .queryParam("csv_max_line_length", 1000.0)
                  .body(csv.toString()));

      JsonNode listed =
          sdk(
              "data_sets.get_list_of_records(payload)",
              "GET",
              "/data_sets/" + payloadSet + "/records",
              r -> r.queryParam("limit", 100));
      assertThat(listed.path("records").size()).isEqualTo(100);
      assertThat(
              sdk(
                      "data_sets.get_records_count(payload)",
                      "GET",
                      "/data_sets/" + payloadSet + "/records",
                      r -> r.queryParam("include_total_count", true).queryParam("limit", 0))
                  .path("total_count")
                  .asInt())
          .isEqualTo(PAYLOAD);
      assertThat(
              sdk(
                      "data_sets.get_records_count(feedback)",
                      "GET",
                      "/data_sets/" + feedbackSet + "/records",
                      r -> r.queryParam("include_total_count", true).queryParam("limit", 0))
                  .path("total_count")
                  .asInt())
          .isEqualTo(FEEDBACK_JSON + FEEDBACK_CSV);

      JsonNode definitions = sdk("monitor_definitions.list()", "GET", "/monitor_definitions");
      List<String> enumNames = new ArrayList<>();
      definitions
          .path("monitor_definitions")
          .forEach(
              d ->
                  enumNames.add(
                      d.path("entity").path("name").asText().toUpperCase().replace(' ', '_')));
      assertThat(enumNames).contains("QUALITY", "FAIRNESS", "DRIFT_V2", "EXPLAINABILITY", "DRIFT");

      Map<String, Object> target = Map.of("target_type", "subscription", "target_id", subscription);
      String quality =
          monitor(
              "QUALITY",
              mart,
              target,
              Map.of("min_feedback_data_size", 50),
              Map.of("metric_id", "area_under_roc", "type", "lower_limit", "value", 0.8));
      run("monitor_instances.run(quality)", quality);
      assertThat(model.rowsScored()).isEqualTo(FEEDBACK_JSON + FEEDBACK_CSV);
      String end = LocalDateTime.now(ZoneOffset.UTC).plusMinutes(5).format(PYTHON_STR);
      measurements("monitor_instances.show_metrics(quality)", quality, start, end);
      int wrong = 0;
      for (int i = 0; i < FEEDBACK_JSON + FEEDBACK_CSV; i++) {
        wrong += label(i).equals(risky(loan(i)) ? "Risk" : "No Risk") ? 0 : 1;
      }
      int n = FEEDBACK_JSON + FEEDBACK_CSV;
      assertThat(
              lastMetrics("monitor_instances.get_metrics(quality)", quality, start, end)
                  .get("accuracy"))
          .isCloseTo((double) (n - wrong) / n, org.assertj.core.api.Assertions.within(1e-9));

      String fairness =
          monitor(
              "FAIRNESS",
              mart,
              target,
              ApiFixture.FAIRNESS_BY_SEX,
              Map.of("metric_id", "fairness_value", "type", "lower_limit", "value", 95));
      run("monitor_instances.run(fairness)", fairness);
      measurements("monitor_instances.show_metrics(fairness)", fairness, start, end);
      assertThat(lastMetrics("monitor_instances.get_metrics(fairness)", fairness, start, end))
          .containsKey("fairness_value");

      String drift =
          monitor(
              "DRIFT_V2",
              mart,
              target,
              Map.of("min_samples", 50, "max_samples", 100),
              Map.of("metric_id", "prediction_drift_score", "type", "upper_limit", "value", 0.05));
      run("monitor_instances.run(drift_v2)", drift);
      measurements("monitor_instances.show_metrics(drift_v2)", drift, start, end);
      assertThat(
              lastMetrics("monitor_instances.get_metrics(drift_v2)", drift, start, end)
                  .get("prediction_drift_score"))
          .isBetween(0.0, 1.0);

      // late labels: the wrong ones corrected by one PATCH; quality changes accordingly
      JsonNode records =
          sdk(
              "data_sets.get_list_of_records(feedback)",
              "GET",
              "/data_sets/" + feedbackSet + "/records",
              r -> r.queryParam("limit", 100));
      List<Map<String, Object>> patch = new ArrayList<>();
      for (JsonNode rec : records.path("records")) {
        JsonNode v = rec.path("entity").path("values");
        if (!v.path("Risk").asText().equals(v.path("prediction").asText())) {
          patch.add(
              Map.of(
                  "op",
                  "replace",
                  "path",
                  "/" + rec.path("metadata").path("id").asText() + "/values/Risk",
                  "value",
                  v.path("prediction").asText()));
        }
      }
      assertThat(patch).hasSize(wrong);
      sdk(
          "records.patch(feedback, late labels)",
          "PATCH",
          "/data_sets/" + feedbackSet + "/records",
          r -> r.body(patch));
      run("monitor_instances.run(quality) after late labels", quality);
      String later = LocalDateTime.now(ZoneOffset.UTC).plusMinutes(5).format(PYTHON_STR);
      assertThat(
              lastMetrics("monitor_instances.get_metrics(quality)", quality, start, later)
                  .get("accuracy"))
          .isEqualTo(1.0);
      assertThat(model.rowsScored()).as("scored rows are kept, not scored again").isEqualTo(n);

      sdk(
          "subscriptions.delete(background_mode=False)",
          "DELETE",
          "/subscriptions/" + subscription);
      assertThat(t.api().get("/subscriptions/" + subscription).statusCode()).isEqualTo(404);
    } finally {
      Path out = Path.of("target", "notebook-flow.txt");
      Files.createDirectories(out.getParent());
      Files.write(out, steps);
    }
  }
}
