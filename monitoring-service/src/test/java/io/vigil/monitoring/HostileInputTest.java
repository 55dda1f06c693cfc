package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.hamcrest.Matchers.hasSize;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bodies a careless or hostile client sends: each gets a 4xx in the API's error format, never a 5xx
 * (which the router and clients would retry), and nothing is stored.
 */
@QuarkusTest
class HostileInputTest {

  private static final List<String> BAD_JSON =
      List.of(
          "{\"name\": \"a\"} trailing",
          "{\"name\": \"a\"}{\"name\": \"b\"}",
          "{\"name\": \"a\\u0000b\"}",
          "{\"na\\u0000me\": \"a\"}",
          "{\"name\": \"a\", \"n\": 1e400}",
          "{\"name\": \"a\", \"n\": -1e1000000}",
          "{\"name\": \"a\", \"deep\": " + "[".repeat(500) + "]".repeat(500) + "}",
          "{\"name\": ");

  @Test
  void badJsonIsRefusedWithA400AndStoresNothing() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    for (String body : BAD_JSON) {
      isError(t.api().body(body).post("/service_providers").then(), 400, "invalid_request");
      isError(
          t.api().body("[" + body + "]").post("/data_sets/" + payload + "/records").then(),
          400,
          "invalid_request");
    }
    t.api().get("/service_providers").then().statusCode(200).body("service_providers", hasSize(1));
    t.api()
        .get("/data_sets/" + payload + "/records")
        .then()
        .statusCode(200)
        .body("records", hasSize(0));
  }

  @Test
  void aBodyThatIsNotValidUtf8Is400AndStoresNothing() {
    ApiFixture t = ApiFixture.newTenant();
    String payload = t.dataSet(t.creditRiskSubscription(), "payload_logging");
    byte[][] bodies = {
      {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, '"', '}'},
      {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'},
      {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}
    };
    for (byte[] body : bodies) {
      isError(t.api().body(body).post("/service_providers").then(), 400, "invalid_request");
      byte[] records = new byte[body.length + 2];
      records[0] = '[';
      System.arraycopy(body, 0, records, 1, body.length);
      records[records.length - 1] = ']';
      isError(
          t.api().body(records).post("/data_sets/" + payload + "/records").then(),
          400,
          "invalid_request");
    }
    t.api().get("/service_providers").then().body("service_providers", hasSize(1));
    t.api().get("/data_sets/" + payload + "/records").then().body("records", hasSize(0));
    // valid UTF-8 beyond ASCII is stored as sent
    t.api()
        .body("{\"name\": \"Zürich ☃ 𝔘\", \"service_type\": \"watson_machine_learning\"}")
        .post("/service_providers")
        .then()
        .statusCode(201)
        .body("entity.name", org.hamcrest.Matchers.is("Zürich ☃ 𝔘"));
  }

  @Test
  void aBodyWithoutContentTypeIs415() {
    ApiFixture t = ApiFixture.newTenant();
    isError(
        RestAssured.given()
            .header("Authorization", "Bearer " + t.key())
            .body("{\"name\": \"x\"}".getBytes())
            .post("/openscale/" + t.id() + "/v2/service_providers")
            .then(),
        415,
        "unsupported_media_type");
    t.api().get("/service_providers").then().body("service_providers", hasSize(0));
  }

  @Test
  void valuesPostgresCannotStoreAre400NotARetry() {
    ApiFixture t = ApiFixture.newTenant();
    String payload = t.dataSet(t.creditRiskSubscription(), "payload_logging");
    // a scoring id far longer than an index entry can hold
    Map<String, Object> record =
        Map.of(
            "scoring_id",
            randomText(12_000),
            "request",
            Map.of("fields", List.of("Age"), "values", List.of(List.of(30))),
            "response",
            Map.of("fields", List.of("prediction"), "values", List.of(List.of("Risk"))));
    int status =
        t.api().body(List.of(record)).post("/data_sets/" + payload + "/records").statusCode();
    org.assertj.core.api.Assertions.assertThat(status).isBetween(400, 499);
    t.api().get("/data_sets/" + payload + "/records").then().body("records", hasSize(0));
  }

  @Test
  void timesOutsideTheYears1970To9999Are400AndStoreNothing() {
    ApiFixture t = ApiFixture.newTenant();
    String payload = t.dataSet(t.creditRiskSubscription(), "payload_logging");
    for (String time :
        List.of(
            "+300000-01-01T00:00:00Z", "-300000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "x")) {
      Map<String, Object> record =
          Map.of(
              "scoring_id",
              "s-1",
              "scoring_timestamp",
              time,
              "request",
              Map.of("fields", List.of("Age"), "values", List.of(List.of(30))),
              "response",
              Map.of("fields", List.of("prediction"), "values", List.of(List.of("Risk"))));
      isError(
          t.api().body(List.of(record)).post("/data_sets/" + payload + "/records").then(),
          400,
          "invalid_request");
      isError(
          t.api().queryParam("start", time).get("/data_sets/" + payload + "/records").then(),
          400,
          "invalid_request");
    }
    t.api().get("/data_sets/" + payload + "/records").then().body("records", hasSize(0));
    // what IBM's SDK sends, Python's str(datetime), is a time
    t.api()
        .queryParam("start", "2026-11-22 18:40:41.374686")
        .get("/data_sets/" + payload + "/records")
        .then()
        .statusCode(200);
  }

  /** Incompressible text (PostgreSQL would compress a repeated one into an index entry). */
  private static String randomText(int length) {
    byte[] bytes = new byte[length / 2];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
