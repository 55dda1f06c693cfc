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
  void anOverLongUriOrOverLargeHeadersGetTheirStatusInTheApiFormat() {
    ApiFixture t = ApiFixture.newTenant();
    isError(t.api().get("/data_sets/" + "x".repeat(5000) + "/records").then(), 414, "uri_too_long");
    isError(
        t.api().header("X-Padding", "p".repeat(25_000)).get("/data_marts").then(),
        431,
        "headers_too_large");
    isError(
        t.api()
            .header("Idempotency-Key", "k".repeat(21_000))
            .body(Map.of("name", "x", "service_type", "watson_machine_learning"))
            .post("/service_providers")
            .then(),
        431,
        "headers_too_large");
    t.api().get("/service_providers").then().body("service_providers", hasSize(0));
    // within the limits, a long id is just not found
    isError(t.api().get("/data_sets/" + "x".repeat(3000)).then(), 404, "not_found");
  }

  @Test
  void everyDocumentedWriteRefusesHostileBodiesWithA4xxAndChangesNothing() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    String before = snapshot(t, payload);
    List<byte[]> bodies = new java.util.ArrayList<>();
    BAD_JSON.forEach(b -> bodies.add(b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    bodies.add(new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0xC3, '"', '}'});
    int tried = 0;
    for (io.vigil.testkit.OpenApiRoutes.Route r : io.vigil.testkit.OpenApiRoutes.documented()) {
      if (!java.util.Set.of("POST", "PUT", "PATCH").contains(r.method())
          || !r.path().startsWith("/openscale/")) {
        continue;
      }
      String path =
          r.path()
              .replace("/openscale/x/", "/openscale/" + t.id() + "/")
              .replace("/data_sets/x/", "/data_sets/" + payload + "/");
      for (byte[] body : bodies) {
        for (String type :
            List.of("application/json", "application/json-patch+json", "text/plain")) {
          var response =
              RestAssured.given()
                  .header("Authorization", "Bearer " + t.key())
                  .contentType(type)
                  .body(body)
                  .request(r.method(), path);
          org.assertj.core.api.Assertions.assertThat(response.statusCode())
              .as(r + " " + type + " " + new String(body))
              .isBetween(400, 499);
          org.assertj.core.api.Assertions.assertThat(response.jsonPath().getString("trace"))
              .as(r + " error format")
              .isNotBlank();
          tried++;
        }
      }
    }
    org.assertj.core.api.Assertions.assertThat(tried).isGreaterThan(100);
    org.assertj.core.api.Assertions.assertThat(snapshot(t, payload)).isEqualTo(before);
  }

  /** Everything a tenant holds, as the API lists it. */
  private static String snapshot(ApiFixture t, String payload) {
    StringBuilder all = new StringBuilder();
    for (String kind :
        List.of(
            "/data_marts",
            "/service_providers",
            "/subscriptions",
            "/data_sets",
            "/monitor_definitions",
            "/monitor_instances",
            "/integrated_systems")) {
      all.append(t.api().get(kind).asString().replaceAll("\"modified_at\":\"[^\"]*\"", ""));
    }
    all.append(t.api().get("/data_sets/" + payload + "/records").asString());
    return all.toString();
  }

  @Test
  void aBodyTrickledPastTheRequestTimeoutIs408AndStoresNothing() throws Exception {
    ApiFixture t = ApiFixture.newTenant();
    long t0 = System.nanoTime();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
      socket.setSoTimeout(15_000);
      var out = socket.getOutputStream();
      out.write(
          ("POST /openscale/"
                  + t.id()
                  + "/v2/service_providers HTTP/1.1\r\n"
                  + "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Authorization: Bearer "
                  + t.key()
                  + "\r\nContent-Length: 100\r\n\r\n{")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      // one byte a second: never idle, never done
      var in = socket.getInputStream();
      StringBuilder answer = new StringBuilder();
      for (int i = 0; i < 12 && answer.length() == 0; i++) {
        Thread.sleep(1000);
        try {
          out.write(' ');
          out.flush();
        } catch (java.io.IOException closed) {
          // the server answered and closed: read what it said
        }
        if (in.available() > 0 || i == 11) {
          byte[] buffer = new byte[4096];
          int n = in.read(buffer);
          if (n > 0) {
            answer.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
          }
        }
      }
      org.assertj.core.api.Assertions.assertThat(answer.toString())
          .startsWith("HTTP/1.1 408")
          .contains("\"code\":\"request_timeout\"");
    }
    org.assertj.core.api.Assertions.assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0))
        .isBetween(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(10));
    t.api().get("/service_providers").then().body("service_providers", hasSize(0));
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
