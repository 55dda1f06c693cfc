package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A tenant exports everything and imports it into another service instance: nothing differs. */
@QuarkusTest
class TenantTransferTest {

  @Test
  void exportThenImportRoundTripsConfigurationRecordsAndMeasurements() {
    ApiFixture a = ApiFixture.newTenant();
    String subscription = a.creditRiskSubscription();
    String payloadSet = a.dataSet(subscription, "payload_logging");
    a.api()
        .body(OpenScaleFlowTest.payload(0, 150, 0))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    a.create(
        "/monitor_definitions",
        Map.of("name", "Revenue", "metrics", List.of(Map.of("id", "revenue", "name", "Revenue"))));
    String performance = a.monitor("performance", subscription, Map.of());
    a.runUntil(performance, "finished");

    String export =
        a.api()
            .accept("application/x-ndjson")
            .get("/export")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    List<String> lines = export.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines.get(0)).contains("\"type\":\"header\"");
    assertThat(lines.get(lines.size() - 1))
        .contains("\"records\":150")
        .contains("\"measurements\":1");

    ApiFixture b = ApiFixture.newTenant();
    b.api()
        .contentType("application/x-ndjson")
        .body(export)
        .post("/import")
        .then()
        .statusCode(201)
        .body("imported.records", is(150))
        .body("imported.subscriptions", is(1))
        .body("imported.data_sets", is(3));

    String newSubscription =
        b.api()
            .get("/subscriptions")
            .then()
            .body("subscriptions", hasSize(1))
            .extract()
            .path("subscriptions[0].metadata.id");
    assertThat(newSubscription).isNotEqualTo(subscription);
    b.api()
        .get("/subscriptions/" + newSubscription)
        .then()
        .body("entity.data_mart_id", is(b.id()))
        .body("entity.asset.asset_id", is("credit-risk"))
        .body("entity.asset_properties.label_column", is("Risk"));
    String newPayloadSet = b.dataSet(newSubscription, "payload_logging");
    List<Object> before =
        a.api()
            .queryParam("limit", 1000)
            .get("/data_sets/" + payloadSet + "/records")
            .then()
            .extract()
            .path("records");
    List<Object> after =
        b.api()
            .queryParam("limit", 1000)
            .get("/data_sets/" + newPayloadSet + "/records")
            .then()
            .extract()
            .path("records");
    assertThat(after).hasSize(150).isEqualTo(before);
    String newMonitor =
        b.api()
            .get("/monitor_instances")
            .then()
            .body("monitor_instances", hasSize(1))
            .extract()
            .path("monitor_instances[0].metadata.id");
    b.api()
        .get("/monitor_instances/" + newMonitor + "/measurements")
        .then()
        .body("measurements", hasSize(1))
        .body("measurements[0].entity.values[0].metrics[0].value", is(150.0f))
        .body("measurements[0].entity.target.target_id", is(newSubscription));
    b.api().get("/monitor_definitions/revenue").then().statusCode(200);

    // into a non-empty instance: refused, nothing changes
    isError(
        b.api().contentType("application/x-ndjson").body(export).post("/import").then(),
        409,
        "conflict");
    // a cut-short export: refused, nothing stored
    ApiFixture c = ApiFixture.newTenant();
    String cut = String.join("\n", lines.subList(0, lines.size() - 1));
    isError(
        c.api().contentType("application/x-ndjson").body(cut).post("/import").then(),
        400,
        "invalid_request");
    c.api().get("/subscriptions").then().body("subscriptions", hasSize(0));
  }

  @Test
  void anImportCannotWriteIntoAnotherTenantsDataSet() {
    ApiFixture victim = ApiFixture.newTenant();
    String payloadSet = victim.dataSet(victim.creditRiskSubscription(), "payload_logging");
    ApiFixture attacker = ApiFixture.newTenant();
    String export =
        String.join(
            "\n",
            "{\"type\":\"header\",\"format\":\""
                + io.vigil.monitoring.service.TenantTransfer.FORMAT
                + "\",\"service_instance_id\":\""
                + attacker.id()
                + "\"}",
            "{\"type\":\"record\",\"data_set_id\":\""
                + payloadSet
                + "\",\"record_id\":\"s-7\",\"ts\":\"2026-01-01T00:00:00Z\",\"values\":{}}",
            "{\"type\":\"end\",\"counts\":{\"records\":1}}");
    isError(
        attacker.api().contentType("application/x-ndjson").body(export).post("/import").then(),
        400,
        "invalid_request");
    // the victim's own record of that id is stored and readable
    victim
        .api()
        .body(OpenScaleFlowTest.payload(7, 8, 0))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    victim
        .api()
        .get("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(200)
        .body("records", hasSize(1));
  }
}
