package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ConfigurationResourceTest {

  @Test
  void subscriptionComesWithItsDataSetsAndIsFoundByItsFilters() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();

    t.api()
        .get("/subscriptions/" + subscription)
        .then()
        .statusCode(200)
        .body("metadata.id", is(subscription))
        .body("metadata.url", is("/v2/subscriptions/" + subscription))
        .body("metadata.created_by", is("initial"))
        .body("entity.asset.asset_type", is("model"))
        .body("entity.asset.input_data_type", is("structured"))
        .body("entity.asset_properties.label_column", is("Risk"));
    t.api()
        .queryParam("target.target_id", subscription)
        .get("/data_sets")
        .then()
        .statusCode(200)
        .body(
            "data_sets.entity.type", containsInAnyOrder("payload_logging", "feedback", "training"));
    t.api()
        .queryParam("asset.asset_id", "credit-risk")
        .get("/subscriptions")
        .then()
        .body("subscriptions", hasSize(1));
    t.api()
        .queryParam("asset.asset_id", "other")
        .get("/subscriptions")
        .then()
        .body("subscriptions", hasSize(0));
    t.api()
        .queryParam("deployment.deployment_id", "credit-risk-prod")
        .get("/subscriptions")
        .then()
        .body("subscriptions", hasSize(1));
  }

  @Test
  void patchChangesTheEntityAndKeepsItValid() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    t.api()
        .body(
            "[{\"op\":\"replace\",\"path\":\"/asset/name\",\"value\":\"Credit risk v2\"},"
                + "{\"op\":\"add\",\"path\":\"/asset_properties/feature_fields/-\",\"value\":\"Job\"}]")
        .patch("/subscriptions/" + subscription)
        .then()
        .statusCode(200)
        .body("entity.asset.name", is("Credit risk v2"))
        .body("entity.asset_properties.feature_fields", hasItems("Age", "Job"));

    isError(
            t.api()
                .body(
                    "[{\"op\":\"replace\",\"path\":\"/asset/problem_type\",\"value\":\"ranking\"}]")
                .patch("/subscriptions/" + subscription)
                .then(),
            400,
            "invalid_request")
        .body("errors[0].message", containsString("asset.problem_type"));
    isError(
        t.api()
            .body("[{\"op\":\"replace\",\"path\":\"/data_mart_id\",\"value\":\"x\"}]")
            .patch("/subscriptions/" + subscription)
            .then(),
        400,
        "invalid_request");
    isError(
        t.api()
            .body("[{\"op\":\"move\",\"path\":\"/a\"}]")
            .patch("/subscriptions/" + subscription)
            .then(),
        400,
        "invalid_request");
    isError(
        t.api().body("{}").patch("/subscriptions/" + subscription).then(), 400, "invalid_request");
    // nothing of the failed patches stuck
    t.api()
        .get("/subscriptions/" + subscription)
        .then()
        .body("entity.asset.problem_type", is("binary"));
  }

  @Test
  void badInputGetsAClearFourHundredAndStoresNothing() {
    ApiFixture t = ApiFixture.newTenant();
    t.api().body(Map.of("name", "mart")).post("/data_marts").then().statusCode(201);

    isError(t.api().body("{\"name\": ").post("/service_providers").then(), 400, "invalid_request")
        .body("errors[0].message", startsWith("malformed JSON"));
    isError(t.api().body("[1,2]").post("/service_providers").then(), 400, "invalid_request");
    isError(
            t.api()
                .body(Map.of("name", "x", "service_type", "mainframe"))
                .post("/service_providers")
                .then(),
            400,
            "invalid_request")
        .body("errors[0].message", containsString("service_type"));
    isError(
        t.api()
            .body(Map.of("name", 7, "service_type", "custom_machine_learning"))
            .post("/service_providers")
            .then(),
        400,
        "invalid_request");
    isError(
        t.api().contentType("text/plain").body("name=x").post("/service_providers").then(),
        415,
        "unsupported_media_type");
    isError(
            t.api()
                .body(
                    Map.of(
                        "data_mart_id",
                        t.id(),
                        "service_provider_id",
                        "nope",
                        "asset",
                        Map.of("asset_id", "a", "problem_type", "binary"),
                        "deployment",
                        Map.of("deployment_id", "d")))
                .post("/subscriptions")
                .then(),
            400,
            "invalid_request")
        .body("errors[0].message", containsString("service_provider_id"));
    isError(t.api().get("/subscriptions/does-not-exist").then(), 404, "not_found");
    isError(t.api().get("/no_such_resources").then(), 404, "not_found");
    isError(t.api().body(Map.of("name", "mart")).post("/data_marts").then(), 409, "conflict");

    t.api().get("/service_providers").then().statusCode(200).body("service_providers", hasSize(0));
    t.api().get("/subscriptions").then().statusCode(200).body("subscriptions", hasSize(0));
  }

  @Test
  void monitorDefinitionsListTheBuiltInsAndTakeCustomOnes() {
    ApiFixture t = ApiFixture.newTenant();
    t.api()
        .get("/monitor_definitions")
        .then()
        .statusCode(200)
        .body(
            "monitor_definitions.metadata.id",
            hasItems("quality", "fairness", "drift_v2", "performance"))
        // IBM's SDK builds MONITORS from the names ("Drift v2" -> DRIFT_V2): notebooks name
        // MONITORS.EXPLAINABILITY and MONITORS.DRIFT too, which Vigil lists but does not compute
        .body(
            "monitor_definitions.entity.name",
            hasItems("Quality", "Fairness", "Drift v2", "Explainability", "Drift"))
        .body(
            "monitor_definitions.find { it.metadata.id == 'explainability' }.entity.description",
            org.hamcrest.Matchers.containsString("not computed by Vigil"));
    t.api()
        .get("/monitor_definitions/quality")
        .then()
        .body(
            "entity.metrics.find { it.id == 'area_under_roc' }.thresholds[0].type",
            is("lower_limit"))
        .body("entity.metrics.find { it.id == 'area_under_roc' }.thresholds[0].default", is(0.8f));

    String custom =
        t.create(
            "/monitor_definitions",
            Map.of(
                "name",
                "Business KPIs",
                "metrics",
                List.of(
                    Map.of(
                        "id",
                        "revenue",
                        "name",
                        "Revenue",
                        "thresholds",
                        List.of(Map.of("type", "lower_limit", "default", 100))))));
    org.assertj.core.api.Assertions.assertThat(custom).isEqualTo("business_kpis");
    t.api().get("/monitor_definitions").then().body("monitor_definitions", hasSize(8));
    isError(t.api().delete("/monitor_definitions/explainability").then(), 409, "conflict");
    isError(t.api().delete("/monitor_definitions/quality").then(), 409, "conflict");
    isError(
        t.api()
            .body(Map.of("name", "quality", "metrics", List.of(Map.of("id", "a", "name", "A"))))
            .post("/monitor_definitions")
            .then(),
        409,
        "conflict");
  }

  @Test
  void monitorInstancesCheckDefinitionTargetAndThresholds() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    Map<String, Object> target = Map.of("target_type", "subscription", "target_id", subscription);
    String quality =
        t.monitor(
            "quality",
            subscription,
            Map.of(
                "parameters",
                Map.of("min_feedback_data_size", 50),
                "thresholds",
                List.of(
                    Map.of("metric_id", "area_under_roc", "type", "lower_limit", "value", 0.75)),
                "schedule",
                Map.of("repeat_interval", 1, "repeat_unit", "hour")));
    t.api()
        .queryParam("monitor_definition_id", "quality")
        .get("/monitor_instances")
        .then()
        .body("monitor_instances", hasSize(1));

    isError(
            t.api()
                .body(
                    Map.of(
                        "data_mart_id",
                        t.id(),
                        "monitor_definition_id",
                        "quality",
                        "target",
                        target,
                        "thresholds",
                        List.of(
                            Map.of(
                                "metric_id",
                                "fairness_value",
                                "type",
                                "lower_limit",
                                "value",
                                80))))
                .post("/monitor_instances")
                .then(),
            400,
            "invalid_request")
        .body("errors[0].message", containsString("fairness_value"));
    isError(
        t.api()
            .body(
                Map.of(
                    "data_mart_id",
                    t.id(),
                    "monitor_definition_id",
                    "nonexistent",
                    "target",
                    target))
            .post("/monitor_instances")
            .then(),
        400,
        "invalid_request");
    isError(
        t.api()
            .body(
                Map.of(
                    "data_mart_id",
                    t.id(),
                    "monitor_definition_id",
                    "quality",
                    "target",
                    target,
                    "parameters",
                    Map.of("min_feedback_data_size", -3)))
            .post("/monitor_instances")
            .then(),
        400,
        "invalid_request");

    // deleting the subscription takes its data sets and monitors with it
    t.api().delete("/subscriptions/" + subscription).then().statusCode(204);
    isError(t.api().get("/monitor_instances/" + quality).then(), 404, "not_found");
    t.api().get("/data_sets").then().body("data_sets", hasSize(0));
  }

  /** OpenScale's monitors Vigil does not compute are refused by name, never left idle. */
  @Test
  void aMonitorVigilDoesNotComputeIsRefusedNamingWhatItComputes() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    for (String definition : List.of("explainability", "drift", "mrm")) {
      isError(
              t.api()
                  .body(
                      Map.of(
                          "data_mart_id", t.id(),
                          "monitor_definition_id", definition,
                          "target",
                              Map.of("target_type", "subscription", "target_id", subscription)))
                  .post("/monitor_instances")
                  .then(),
              400,
              "invalid_request")
          .body("errors[0].message", containsString("'" + definition + "'"))
          .body("errors[0].message", containsString("quality"))
          .body("errors[0].message", containsString("drift_v2"));
    }
    t.api().get("/monitor_instances").then().body("monitor_instances", hasSize(0));
  }
}
