package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vigil.router.ZoneBackends.Mode;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import io.vigil.testkit.Operator;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router in front of three in-process backends on loopback, one per zone, found through etcd:
 * it balances, marks responses with the zone, loses no idempotent request when a zone dies or
 * hangs, replays only retry-safe requests, drains and activates zones, passes a large upload
 * intact, and answers errors in the API's format.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterProxyTest {

  private static final String API = "/openscale/i/v2/subscriptions";
  private ZoneBackends backends;

  @BeforeEach
  void backends() throws Exception {
    backends =
        ZoneBackends.start(
            EtcdResource.current().endpoints(), "us-south", "zone-a", "zone-b", "zone-c");
    awaitServing(backends, "zone-a", "zone-b", "zone-c");
  }

  /** Waits until the router routes to exactly these backends, all healthy. */
  static void awaitServing(ZoneBackends backends, String... zones) {
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              var view = Operator.given().get("/routing/zones").jsonPath();
              for (String zone : zones) {
                String at = "zones.find { it.zone == '" + zone + "' }";
                assertThat(view.getString(at + ".state")).isEqualTo("UP");
                assertThat(view.getList(at + ".instances.url"))
                    .containsExactly("http://127.0.0.1:" + backends.port(zone));
              }
            });
  }

  /** Waits until each of {@code zones} is in {@code state} in the router's view. */
  static void awaitZones(String state, String... zones) {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              var view = Operator.given().get("/routing/zones").jsonPath();
              for (String zone : zones) {
                assertThat(view.getString("zones.find { it.zone == '" + zone + "' }.state"))
                    .as(zone)
                    .isEqualTo(state);
              }
            });
  }

  @AfterEach
  void stop() throws Exception {
    backends.close();
  }

  @Test
  void balancesAcrossZonesAndMarksTheZone() {
    Map<String, Integer> byZone = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      Response r = given().get(API);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.header("Vigil-Zone")).isEqualTo(r.jsonPath().getString("zone"));
      assertThat(r.header("Vigil-Region")).isEqualTo("us-south");
      assertThat(r.header("Vigil-Attempts")).isEqualTo("1");
      assertThat(r.jsonPath().getString("path")).isEqualTo(API);
      byZone.merge(r.header("Vigil-Zone"), 1, Integer::sum);
    }
    assertThat(byZone.keySet()).containsExactlyInAnyOrder("zone-a", "zone-b", "zone-c");
  }

  @Test
  void onlyEndToEndHeadersAreForwardedAndTheClientsAuthorityIsKept() {
    Response r =
        given()
            .header("Connection", "keep-alive, X-Hop")
            .header("X-Hop", "for the router only")
            .header("TE", "trailers")
            .header("X-End", "for the instance")
            .header("Host", "vigil.example:8443")
            .get(API);
    assertThat(r.statusCode()).isEqualTo(200);
    // the instance builds its links (Location) from the authority the client used
    assertThat(r.jsonPath().getString("host")).isEqualTo("vigil.example:8443");
    assertThat(r.jsonPath().getString("end_to_end")).isEqualTo("for the instance");
    assertThat(r.jsonPath().getString("hop")).isEqualTo("null");
    assertThat(r.jsonPath().getString("te")).isEqualTo("null");
    assertThat(r.header("X-Instance")).isEqualTo(r.header("Vigil-Zone"));
    assertThat(r.header("Keep-Alive")).isNull();
  }

  @Test
  void aZoneKilledUnderLoadLosesNoRequest() throws Exception {
    List<SteadyLoad.Outcome> outcomes =
        SteadyLoad.run(
            url(API),
            8,
            Duration.ofSeconds(3),
            Duration.ofSeconds(1),
            () -> backends.kill("zone-b"));
    SteadyLoad.assertCovers(outcomes, 8, Duration.ofSeconds(1), Duration.ofMillis(1500));
    assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(200));
    assertThat(outcomes.stream().filter(o -> o.startNanos() > 1_500_000_000L))
        .noneMatch(o -> "zone-b".equals(o.zone()));
    Operator.given()
        .get("/routing/zones")
        .then()
        .body("zones.find { it.zone == 'zone-b' }.state", is("DOWN"))
        .body("zones.find { it.zone == 'zone-a' }.state", is("UP"))
        .body("zones.find { it.zone == 'zone-b' }.instances[0].healthy", is(false))
        // the transition is kept with its reason, newest first (the console lists them)
        .body("transitions[0].zone", is("zone-b"))
        .body("transitions[0].from", is("UP"))
        .body("transitions[0].to", is("DOWN"))
        .body("transitions[0].reason", org.hamcrest.Matchers.startsWith("no healthy instance"));
    Management.given()
        .get("/q/metrics")
        .then()
        .body(containsString("vigil_router_requests_total{status=\"2xx\",zone=\"zone-a\"}"))
        .body(containsString("vigil_router_ejections_total{zone=\"zone-b\"}"))
        .body(containsString("vigil_router_latency_seconds_count{zone=\"zone-a\"}"));
  }

  @Test
  void aZoneHungUnderLoadLosesNoRequestAndAddsAtMostThePerTryTimeout() throws Exception {
    // enough traffic for the per-try timeout to follow the observed latency
    SteadyLoad.run(url(API), 4, Duration.ofSeconds(1), Duration.ZERO, () -> {});
    await()
        .atMost(Duration.ofSeconds(2))
        .until(
            () ->
                Operator.given().get("/routing/zones").jsonPath().getLong("per_try_timeout_ms")
                    < 1000);
    long perTryMs = Operator.given().get("/routing/zones").jsonPath().getLong("per_try_timeout_ms");

    List<SteadyLoad.Outcome> outcomes =
        SteadyLoad.run(
            url(API),
            8,
            Duration.ofSeconds(3),
            Duration.ofSeconds(1),
            () -> backends.mode("zone-b", Mode.HANG));

    SteadyLoad.assertCovers(outcomes, 8, Duration.ofSeconds(1), Duration.ofMillis(1500));
    assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(200));
    long slowestMs =
        outcomes.stream().mapToLong(o -> TimeUnit.NANOSECONDS.toMillis(o.nanos())).max().orElse(0);
    assertThat(slowestMs)
        .as("slowest request vs per-try timeout %d ms", perTryMs)
        .isLessThan(perTryMs + 400);
    Operator.given()
        .get("/routing/zones")
        .then()
        .body("zones.find { it.zone == 'zone-b' }.state", is("DOWN"))
        .body(
            "zones.find { it.zone == 'zone-b' }.last_transition.reason",
            containsString("per-try timeout"));
  }

  @Test
  void aPostWithoutIdempotencyKeyIsNotReplayedOnceSent() {
    backends.resetNext.set(1);
    given()
        .contentType("application/json")
        .body("{\"n\":1}")
        .post("/openscale/i/v2/data_sets/d/records")
        .then()
        .statusCode(502)
        .body("errors[0].code", is("bad_gateway"));
    assertThat(backends.received).hasSize(1);
  }

  @Test
  void aPostWithIdempotencyKeyIsReplayedOnceOnAnotherZone() {
    byte[] body = new byte[300_000];
    new Random(11).nextBytes(body);
    backends.resetNext.set(1);
    Response r =
        given()
            .contentType("application/octet-stream")
            .header("Idempotency-Key", "k-1")
            .body(body)
            .post("/openscale/i/v2/data_sets/d/records");
    assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
    assertThat(r.header("Vigil-Attempts")).isEqualTo("2");
    assertThat(r.jsonPath().getString("sha")).isEqualTo(ZoneBackends.sha256(body));
    List<ZoneBackends.Received> got = List.copyOf(backends.received);
    assertThat(got).hasSize(2);
    assertThat(got).allSatisfy(g -> assertThat(g.sha()).isEqualTo(ZoneBackends.sha256(body)));
    assertThat(got).allSatisfy(g -> assertThat(g.key()).isEqualTo("k-1"));
    assertThat(got.get(0).zone()).isNotEqualTo(got.get(1).zone());
  }

  @Test
  void aWriteFarSlowerThanTheReadsIsNotTakenForAHungTry() throws Exception {
    // fast reads bring the reads' per-try timeout well under the time a write takes
    SteadyLoad.run(url(API), 4, Duration.ofSeconds(1), Duration.ZERO, () -> {});
    await()
        .atMost(Duration.ofSeconds(2))
        .until(
            () ->
                Operator.given().get("/routing/zones").jsonPath().getLong("per_try_timeout_ms")
                    < 1000);
    backends.received.clear();
    backends.writeDelayMs = 1_500;
    for (int i = 0; i < 3; i++) {
      Response r =
          given()
              .contentType("application/json")
              .header("Idempotency-Key", "slow-" + i)
              .body("{}")
              .post("/openscale/i/v2/data_sets/d/records");
      assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
      assertThat(r.header("Vigil-Attempts")).isEqualTo("1");
    }
    // each write reached one instance once: none was abandoned as hung and sent elsewhere
    assertThat(backends.received).hasSize(3);
    assertThat(Operator.given().get("/routing/zones").jsonPath().getLong("per_try_timeout_ms"))
        .isLessThan(1000);
  }

  @Test
  void aServiceUnavailableAnswerIsRetriedOnAnotherZone() {
    backends.unavailableNext.set(1);
    Response r = given().get(API);
    assertThat(r.statusCode()).as(r.asString() + r.headers()).isEqualTo(200);
    assertThat(r.header("Vigil-Attempts")).isEqualTo("2");
    List<ZoneBackends.Received> got = List.copyOf(backends.received);
    assertThat(got).hasSize(2);
    assertThat(got.get(0).zone()).isNotEqualTo(got.get(1).zone());
  }

  @Test
  void theLastHealthyInstanceIsNotEjectedByOneResetAndItsOwnAnswerStands() throws Exception {
    backends.kill("zone-b");
    backends.kill("zone-c");
    awaitZones("DOWN", "zone-b", "zone-c");
    backends.received.clear();

    // a reset on the only healthy instance: nowhere else to go, so the try's failure stands (502),
    // and the instance stays in rotation — the next request is served at once, not refused until
    // the active checks bring it back
    backends.resetNext.set(1);
    given().get(API).then().statusCode(502).body("errors[0].code", is("bad_gateway"));
    Response next = given().get(API);
    assertThat(next.statusCode()).as(next.asString()).isEqualTo(200);
    assertThat(next.header("Vigil-Zone")).isEqualTo("zone-a");
    Operator.given()
        .get("/routing/zones")
        .then()
        .body("zones.find { it.zone == 'zone-a' }.state", is("UP"))
        .body("zones.find { it.zone == 'zone-a' }.instances[0].healthy", is(true));
    Management.given()
        .get("/q/metrics")
        .then()
        .body(containsString("vigil_router_ejections_withheld_total{zone=\"zone-a\"}"));

    // a 503 of the only instance is not replaced by the router's own: the client gets the
    // instance's answer, with its zone
    backends.unavailableNext.set(1);
    Response unavailable = given().get(API);
    assertThat(unavailable.statusCode()).isEqualTo(503);
    assertThat(unavailable.header("Vigil-Zone")).isEqualTo("zone-a");
    assertThat(unavailable.header("Retry-After")).isEqualTo("1");
    assertThat(unavailable.header("Vigil-Attempts")).isEqualTo("1");
    assertThat(backends.received).hasSize(3);
  }

  @Test
  void drainMovesTrafficOffAtOnceAndActivateBringsItBackGradually() throws Exception {
    Thread.sleep(5_200); // the fresh backends are past their own slow start
    long t0 = System.nanoTime();
    Operator.given()
        .post("/routing/zones/zone-a/drain")
        .then()
        .statusCode(200)
        .body("zones.find { it.zone == 'zone-a' }.state", is("DRAINING"));
    for (int i = 0; i < 60; i++) {
      assertThat(given().get(API).header("Vigil-Zone")).isNotEqualTo("zone-a");
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000 + 60 * 50);
    try (Client etcd = EtcdResource.client()) {
      assertThat(
              etcd.getKVClient()
                  .get(ZoneBackends.bytes("/vigil/regions/us-south/zones/zone-a/admin-state"))
                  .get(5, TimeUnit.SECONDS)
                  .getKvs()
                  .get(0)
                  .getValue()
                  .toString(StandardCharsets.UTF_8))
          .isEqualTo("draining");
    }

    Operator.given()
        .post("/routing/zones/zone-a/activate")
        .then()
        .statusCode(200)
        .body("zones.find { it.zone == 'zone-a' }.state", is("UP"));
    int early = share("zone-a", 60);
    Thread.sleep(5_200); // past the default slow start of 5 s
    int late = share("zone-a", 150);
    assertThat(early).as("zone-a's requests out of 60 right after activation").isLessThan(12);
    assertThat(late).as("zone-a's requests out of 150 after slow start").isGreaterThan(30);
  }

  @Test
  void zoneAdminRejectsUnknownAndInvalidZones() {
    Operator.given()
        .post("/routing/zones/zone-x/drain")
        .then()
        .statusCode(404)
        .body("errors[0].code", is("zone_not_found"));
    Operator.given()
        .post("/routing/zones/Zone_A!/drain")
        .then()
        .statusCode(400)
        .body("errors[0].code", is("invalid_zone"));
  }

  @Test
  void aLargeUploadPassesIntact() {
    byte[] body = new byte[10 * 1024 * 1024];
    new Random(7).nextBytes(body);
    given()
        .contentType("application/octet-stream")
        .body(body)
        .post("/openscale/i/v2/data_sets/d/records")
        .then()
        .statusCode(200)
        .body("length", is(body.length))
        .body("sha", is(ZoneBackends.sha256(body)));
  }

  @Test
  void anUploadOfUnknownLengthOverTheLimitIs413FromTheRouterAndEjectsNoInstance() throws Exception {
    // HTTP/1.1 chunked, and an HTTP/2 stream without a length (h2c)
    for (java.net.http.HttpClient.Version version :
        List.of(
            java.net.http.HttpClient.Version.HTTP_1_1, java.net.http.HttpClient.Version.HTTP_2)) {
      int before = backends.received.size();
      java.net.http.HttpResponse<String> r =
          java.net.http.HttpClient.newBuilder()
              .version(version)
              .build()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(
                              "http://127.0.0.1:"
                                  + io.restassured.RestAssured.port
                                  + "/openscale/i/v2/data_sets/d/records"))
                      .header("Content-Type", "application/octet-stream")
                      .POST(
                          java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                              () -> zeros(20L * 1024 * 1024))) // over the test limit of 16 MB
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(version.name()).isEqualTo(413);
      assertThat(r.body()).contains("\"code\":\"payload_too_large\"");
      // nothing complete reached an instance, and every zone still serves
      assertThat(backends.received.size()).as(version.name()).isEqualTo(before);
      for (String zone : List.of("zone-a", "zone-b", "zone-c")) {
        Operator.given()
            .get("/routing/zones")
            .then()
            .body("zones.find { it.zone == '" + zone + "' }.state", is("UP"));
      }
    }
  }

  /** {@code n} zero bytes, read in blocks, of a length nobody announces. */
  private static java.io.InputStream zeros(long n) {
    return new java.io.InputStream() {
      long left = n;

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int k = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + k, (byte) 0);
        left -= k;
        return k;
      }
    };
  }

  @Test
  void anOverLongUriOrOverLargeHeadersAreRefusedInTheApiFormatAndNotForwarded() {
    int before = backends.received.size();
    given()
        .get("/openscale/i/v2/data_sets/" + "x".repeat(5000))
        .then()
        .statusCode(414)
        .body("errors[0].code", is("uri_too_long"));
    given()
        .header("X-Padding", "p".repeat(25_000))
        .get("/openscale/i/v2/data_marts")
        .then()
        .statusCode(431)
        .body("errors[0].code", is("headers_too_large"));
    assertThat(backends.received.size()).isEqualTo(before);
  }

  @Test
  void noReadyZoneGetsAServiceUnavailableInTheApiFormat() {
    for (String zone : List.of("zone-a", "zone-b", "zone-c")) {
      backends.mode(zone, Mode.NOT_READY);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                given()
                    .get(API)
                    .then()
                    .statusCode(503)
                    .header("Retry-After", "1")
                    .body("errors[0].code", is("service_unavailable")));
  }

  @Test
  void unknownRoutesAndOversizeBodiesGetClearErrors() throws Exception {
    given()
        .get("/no/such/route")
        .then()
        .statusCode(404)
        .contentType("application/json")
        .body("errors[0].code", is("not_found"));
    Management.given().get("/q/health/ready").then().statusCode(200);
    try (Socket s = new Socket("127.0.0.1", RestAssured.port)) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /openscale/i/v2/data_sets/d/records HTTP/1.1\r\nHost: x\r\n"
                  + "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(head).isEqualTo("HTTP/1.1 413");
    }
    assertThat(backends.received).isEmpty();
  }

  private static int share(String zone, int requests) {
    int n = 0;
    for (int i = 0; i < requests; i++) {
      if (zone.equals(given().get(API).header("Vigil-Zone"))) {
        n++;
      }
    }
    return n;
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + RestAssured.port + path;
  }
}
