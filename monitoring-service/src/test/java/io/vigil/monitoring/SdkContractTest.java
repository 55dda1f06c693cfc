package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What IBM's OpenScale SDK requires of answers (OPENSCALE-API.md): {@code entity.status.state} on
 * the resources it waits on, a top-level {@code state} where it reads a {@code Status}, a run's
 * failure as a full error body, and no {@code null} anywhere (its parsers fail on one).
 */
@QuarkusTest
class SdkContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void resourcesTheSdkWaitsOnAreActiveAndNoAnswerHoldsANull() throws Exception {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    String quality = t.monitor("quality", subscription, Map.of());
    String run = t.runUntil(quality, "error");

    for (String path :
        List.of(
            "/data_marts",
            "/service_providers",
            "/subscriptions",
            "/data_sets",
            "/monitor_instances")) {
      JsonNode list = json(t.api().get(path));
      JsonNode items = list.get(path.substring(1));
      assertThat(items.size()).as(path).isGreaterThan(0);
      for (JsonNode item : items) {
        assertThat(item.path("entity").path("status").path("state").asText())
            .as(path + " entity.status.state")
            .isEqualTo("active");
        String one = path + "/" + item.path("metadata").path("id").asText();
        assertThat(json(t.api().get(one)).path("entity").path("status").path("state").asText())
            .as(one)
            .isEqualTo("active");
      }
    }
    // every data set has a Spark struct schema; the subscription's carry the modeling roles
    JsonNode schema = json(t.api().get("/data_sets/" + payload)).path("entity").path("data_schema");
    assertThat(schema.path("type").asText()).isEqualTo("struct");
    Map<String, String> roles = new java.util.HashMap<>();
    schema
        .path("fields")
        .forEach(
            f ->
                roles.put(
                    f.path("name").asText(), f.path("metadata").path("modeling_role").asText()));
    assertThat(roles)
        .containsEntry("scoring_id", "record-id")
        .containsEntry("Age", "feature")
        .containsEntry("Sex", "feature")
        .containsEntry("prediction", "prediction")
        .containsEntry("probability", "probability")
        .doesNotContainKey("Risk");
    String feedback = t.dataSet(subscription, "feedback");
    assertThat(
            json(t.api().get("/data_sets/" + feedback))
                .path("entity")
                .path("data_schema")
                .path("fields")
                .findValuesAsText("modeling_role"))
        .contains("label");

    // a client cannot set the server's status
    t.api()
        .contentType("application/json-patch+json")
        .body(List.of(Map.of("op", "add", "path", "/description", "value", "x")))
        .patch("/subscriptions/" + subscription)
        .then()
        .statusCode(200)
        .body("entity.status.state", org.hamcrest.Matchers.is("active"));

    // a failed run: its failure is the API's error body (trace and errors)
    JsonNode failed = json(t.api().get("/monitor_instances/" + quality + "/runs/" + run));
    JsonNode failure = failed.path("entity").path("status").path("failure");
    assertThat(failure.path("trace").asText()).isNotEmpty();
    assertThat(failure.path("errors").get(0).path("code").asText()).isEqualTo("insufficient_data");

    // storing records answers a Status, with the Location of the request
    Response stored =
        t.api().body(OpenScaleFlowTest.payload(0, 3, 0)).post("/data_sets/" + payload + "/records");
    assertThat(stored.statusCode()).isEqualTo(202);
    assertThat(json(stored).path("state").asText()).isEqualTo("active");
    String location = stored.header("Location");
    assertThat(location).contains("/data_sets/" + payload + "/requests/");
    String request = location.substring(location.lastIndexOf('/') + 1);
    assertThat(
            json(t.api().get("/data_sets/" + payload + "/requests/" + request))
                .path("state")
                .asText())
        .isNotEmpty();

    // no answer of the flow holds a null
    List<String> everything =
        new ArrayList<>(
            List.of(
                "/data_marts",
                "/service_providers",
                "/subscriptions",
                "/data_sets",
                "/monitor_definitions",
                "/monitor_instances",
                "/monitor_instances/" + quality + "/runs",
                "/monitor_instances/" + quality + "/runs/" + run,
                "/data_sets/" + payload + "/records",
                "/data_sets/" + payload + "/requests/" + request));
    for (String path : everything) {
      assertThat(nulls(json(t.api().get(path)), "$")).as(path).isEmpty();
    }
  }

  @Test
  void metricsAnswerABareAggregationForEveryMetricInOpenScalesShape() throws Exception {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    t.api()
        .body(OpenScaleFlowTest.payload(0, 40, 0))
        .post("/data_sets/" + payload + "/records")
        .then()
        .statusCode(202);
    String performance = t.monitor("performance", subscription, Map.of());
    t.runUntil(performance, "finished");
    String measurement =
        t.api()
            .get("/monitor_instances/" + performance + "/measurements")
            .then()
            .extract()
            .path("measurements[0].metadata.id");

    // one measurement by its id, as the SDK's measurements.get does; another id is 404
    assertThat(
            json(t.api().get("/monitor_instances/" + performance + "/measurements/" + measurement))
                .path("metadata")
                .path("id")
                .asText())
        .isEqualTo(measurement);
    ApiFixture.isError(
        t.api().get("/monitor_instances/" + performance + "/measurements/no-such").then(),
        404,
        "not_found");
    ApiFixture.isError(
        ApiFixture.newTenant()
            .api()
            .get("/monitor_instances/" + performance + "/measurements/" + measurement)
            .then(),
        404,
        "not_found");

    // as the SDK asks: a bare agg and str(datetime) times
    JsonNode metrics =
        json(
            t.api()
                .queryParam("agg", "last")
                .queryParam("start", "2020-01-01 00:00:00.000000")
                .queryParam("end", "2999-01-01 00:00:00.000000")
                .get("/monitor_instances/" + performance + "/metrics"));
    JsonNode items = metrics.path("groups").get(0).path("metrics");
    assertThat(items.size()).isGreaterThan(0);
    for (JsonNode m : items) {
      assertThat(m.path("agg").asText()).isEqualTo("last");
      assertThat(m.path("last").path("value").size()).as(m.toString()).isEqualTo(1);
      assertThat(m.path("last").path("measurement_id").get(0).asText()).isEqualTo(measurement);
    }
    assertThat(nulls(metrics, "$")).isEmpty();
    JsonNode counts =
        json(
            t.api()
                .queryParam("agg", "count")
                .get("/monitor_instances/" + performance + "/metrics"));
    assertThat(
            counts
                .path("groups")
                .get(0)
                .path("metrics")
                .get(0)
                .path("count")
                .path("value")
                .get(0)
                .asDouble())
        .isEqualTo(1.0);
    ApiFixture.isError(
        t.api()
            .queryParam("agg", "median")
            .get("/monitor_instances/" + performance + "/metrics")
            .then(),
        400,
        "invalid_request");
  }

  private static JsonNode json(Response r) throws Exception {
    assertThat(r.statusCode()).as(r.asString()).isBetween(200, 299);
    return JSON.readTree(r.asString());
  }

  /** Where a document holds a null. */
  static List<String> nulls(JsonNode node, String at) {
    List<String> out = new ArrayList<>();
    if (node.isNull()) {
      out.add(at);
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.addAll(nulls(e.getValue(), at + "." + e.getKey()));
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        out.addAll(nulls(node.get(i), at + "[" + i + "]"));
      }
    }
    return out;
  }
}
