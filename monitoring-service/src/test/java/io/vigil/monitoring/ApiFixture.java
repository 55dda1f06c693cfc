package io.vigil.monitoring;

import static io.restassured.RestAssured.given;

import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import org.hamcrest.Matchers;

/** A tenant for API tests, created through the operator API, and its requests. */
record ApiFixture(String id, String key) {

  static final String OPERATOR_KEY = "test-operator-key";

  /**
   * Fairness parameters as IBM's samples set them: Sex, female monitored against male at 95%, "No
   * Risk" favourable, over the latest 100 records.
   */
  static final Map<String, Object> FAIRNESS_BY_SEX =
      Map.of(
          "features",
          java.util.List.of(
              Map.of(
                  "feature",
                  "Sex",
                  "majority",
                  java.util.List.of("male"),
                  "minority",
                  java.util.List.of("female"),
                  "threshold",
                  0.95)),
          "favourable_class",
          java.util.List.of("No Risk"),
          "unfavourable_class",
          java.util.List.of("Risk"),
          "min_records",
          100);

  static ApiFixture newTenant() {
    var response =
        given()
            .header("Authorization", "Bearer " + OPERATOR_KEY)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "tenant"))
            .post("/admin/v1/service_instances")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    return new ApiFixture(response.getString("id"), response.getString("api_key"));
  }

  /** A request with this tenant's key against its v2 base path. */
  RequestSpecification api() {
    return given()
        .config(
            RestAssured.config()
                .encoderConfig(
                    EncoderConfig.encoderConfig()
                        .encodeContentTypeAs("application/x-ndjson", ContentType.TEXT)))
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .basePath("/openscale/" + id + "/v2");
  }

  /** Creates a resource and answers its id. */
  String create(String path, Object body) {
    return api().body(body).post(path).then().statusCode(201).extract().path("metadata.id");
  }

  /** Creates a data mart, a service provider and a credit-risk subscription; answers its id. */
  String creditRiskSubscription() {
    api().body(Map.of("name", "mart")).post("/data_marts");
    String provider =
        create(
            "/service_providers", Map.of("name", "wml", "service_type", "watson_machine_learning"));
    return create(
        "/subscriptions",
        Map.of(
            "data_mart_id", id,
            "service_provider_id", provider,
            "asset",
                Map.of("asset_id", "credit-risk", "name", "Credit risk", "problem_type", "binary"),
            "deployment", Map.of("deployment_id", "credit-risk-prod"),
            "asset_properties",
                Map.of(
                    "label_column", "Risk",
                    "prediction_field", "prediction",
                    "probability_fields", java.util.List.of("probability"),
                    "feature_fields", java.util.List.of("Age", "Sex", "LoanAmount"),
                    "categorical_fields", java.util.List.of("Sex"),
                    "labels", java.util.List.of("No Risk", "Risk"))));
  }

  /**
   * Payload records of the credit-risk model, ids {@code prefix-i}: the first half women, of whom
   * the first {@code femaleFavoured} get a loan ("No Risk"), the second half men, who all do; each
   * scored at {@code time.apply(i)} when given, else when stored.
   */
  static java.util.List<Object> creditRiskPayload(
      String prefix, java.util.function.IntFunction<String> time, int n, int femaleFavoured) {
    java.util.List<Object> rows = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean female = i < n / 2;
      boolean favoured = !female || i < femaleFavoured;
      java.util.List<Object> in = java.util.List.of(30 + i, female ? "female" : "male", 1000 + i);
      java.util.List<Object> out = new java.util.ArrayList<>(in);
      out.add(java.util.List.of(favoured ? 0.9 : 0.1, favoured ? 0.1 : 0.9));
      out.add(favoured ? "No Risk" : "Risk");
      Map<String, Object> row = new java.util.HashMap<>();
      row.put("scoring_id", prefix + "-" + i);
      if (time != null) {
        row.put("scoring_timestamp", time.apply(i));
      }
      row.put(
          "request",
          Map.of(
              "fields", java.util.List.of("Age", "Sex", "LoanAmount"),
              "values", java.util.List.of(in)));
      row.put(
          "response",
          Map.of(
              "fields",
              java.util.List.of("Age", "Sex", "LoanAmount", "probability", "prediction"),
              "values",
              java.util.List.of(out)));
      rows.add(row);
    }
    return rows;
  }

  /** Creates a monitor instance of a definition on a subscription; answers its id. */
  String monitor(String definition, String subscription, Map<String, Object> extra) {
    Map<String, Object> body = new java.util.HashMap<>(extra);
    body.put("data_mart_id", id);
    body.put("monitor_definition_id", definition);
    body.put("target", Map.of("target_type", "subscription", "target_id", subscription));
    return create("/monitor_instances", body);
  }

  /** The id of the subscription's data set of a type. */
  String dataSet(String subscription, String type) {
    return api()
        .queryParam("target.target_id", subscription)
        .queryParam("type", type)
        .get("/data_sets")
        .then()
        .statusCode(200)
        .body("data_sets", Matchers.hasSize(1))
        .extract()
        .path("data_sets[0].metadata.id");
  }

  /**
   * Queues a run of a monitor instance and waits until it reaches {@code state}; answers its id.
   */
  String runUntil(String monitor, String state) {
    String run =
        api()
            .body("{\"triggered_by\": \"user\"}")
            .post("/monitor_instances/" + monitor + "/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("metadata.id");
    // a run that ends in the other final state fails at once, quoting the run (its failure)
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(
            () -> {
              String answer =
                  api().get("/monitor_instances/" + monitor + "/runs/" + run).asString();
              String now =
                  io.restassured.path.json.JsonPath.from(answer).getString("entity.status.state");
              if (!now.equals(state) && (now.equals("finished") || now.equals("error"))) {
                throw new AssertionError("the run ended " + now + ", not " + state + ": " + answer);
              }
              return now.equals(state);
            });
    return run;
  }

  /** Asserts the API's error format with a status and code. */
  static ValidatableResponse isError(ValidatableResponse r, int status, String code) {
    return r.statusCode(status)
        .contentType(ContentType.JSON)
        .body("trace", Matchers.notNullValue())
        .body("errors[0].code", Matchers.is(code))
        .body("errors[0].message", Matchers.not(Matchers.emptyOrNullString()));
  }
}
