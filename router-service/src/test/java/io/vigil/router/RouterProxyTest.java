package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vigil.testkit.Ports;
import io.vigil.testkit.quarkus.EtcdResource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router in front of three in-process backends on loopback, one per zone, found through etcd:
 * it balances, marks responses with the zone, survives a zone that dies, passes a large upload
 * intact, and answers 503 in the API's format when no zone is ready.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterProxyTest {

  private final Vertx vertx = Vertx.vertx();
  private final Map<String, HttpServer> servers = new HashMap<>();
  private final AtomicBoolean ready = new AtomicBoolean(true);

  @BeforeEach
  void backends() throws Exception {
    try (Client etcd =
        Client.builder()
            .endpoints(EtcdResource.current().endpoints().toArray(String[]::new))
            .build()) {
      for (String zone : new String[] {"zone-a", "zone-b", "zone-c"}) {
        int port = Ports.free();
        HttpServer server =
            vertx
                .createHttpServer()
                .requestHandler(
                    req -> {
                      if (req.path().equals("/q/health/ready")) {
                        req.response().setStatusCode(ready.get() ? 200 : 503).end();
                        return;
                      }
                      req.body()
                          .onSuccess(
                              body -> {
                                String sha = sha256(body.getBytes());
                                req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .end(
                                        "{\"zone\":\""
                                            + zone
                                            + "\",\"path\":\""
                                            + req.path()
                                            + "\",\"length\":"
                                            + body.length()
                                            + ",\"sha\":\""
                                            + sha
                                            + "\"}");
                              });
                    })
                .listen(port, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        servers.put(zone, server);
        etcd.getKVClient()
            .put(
                bytes(
                    "/vigil/regions/us-south/zones/"
                        + zone
                        + "/instances/monitoring-service/m-"
                        + zone),
                bytes(
                    "{\"url\":\"http://127.0.0.1:"
                        + port
                        + "\",\"service\":\"monitoring-service\",\"zone\":\""
                        + zone
                        + "\",\"region\":\"us-south\",\"version\":\"t\",\"startedAt\":\"2026-01-01T00:00:00Z\"}"))
            .get(5, TimeUnit.SECONDS);
      }
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> given().get("/openscale/i/v2/data_marts").then().statusCode(200));
  }

  @AfterEach
  void stop() throws Exception {
    try (Client etcd =
        Client.builder()
            .endpoints(EtcdResource.current().endpoints().toArray(String[]::new))
            .build()) {
      etcd.getKVClient()
          .delete(
              bytes("/vigil/regions/us-south/zones/"),
              io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build())
          .get(5, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void balancesAcrossZonesAndMarksTheZone() {
    Map<String, Integer> byZone = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      Response r = given().get("/openscale/i/v2/subscriptions");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.header("Vigil-Zone")).isEqualTo(r.jsonPath().getString("zone"));
      assertThat(r.header("Vigil-Region")).isEqualTo("us-south");
      assertThat(r.jsonPath().getString("path")).isEqualTo("/openscale/i/v2/subscriptions");
      byZone.merge(r.header("Vigil-Zone"), 1, Integer::sum);
    }
    assertThat(byZone.keySet()).containsExactlyInAnyOrder("zone-a", "zone-b", "zone-c");
  }

  @Test
  void aKilledZoneLosesNoRequest() throws Exception {
    servers
        .get("zone-b")
        .close()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    for (int i = 0; i < 60; i++) {
      Response r = given().get("/openscale/i/v2/subscriptions");
      assertThat(r.statusCode()).as("request " + i).isEqualTo(200);
      assertThat(r.header("Vigil-Zone")).isNotEqualTo("zone-b");
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                given()
                    .get("/routing/zones")
                    .then()
                    .statusCode(200)
                    .body("zones.find { it.zone == 'zone-b' }.state", is("DOWN"))
                    .body("zones.find { it.zone == 'zone-a' }.state", is("UP"))
                    .body("zones.find { it.zone == 'zone-b' }.instances[0].healthy", is(false)));
    given()
        .get("/q/metrics")
        .then()
        .body(
            org.hamcrest.Matchers.containsString(
                "vigil_router_requests_total{status=\"2xx\",zone=\"zone-a\"}"));
  }

  @Test
  void aLargeUploadPassesIntact() {
    byte[] body = new byte[10 * 1024 * 1024];
    new java.util.Random(7).nextBytes(body);
    given()
        .contentType("application/octet-stream")
        .body(body)
        .post("/openscale/i/v2/data_sets/d/records")
        .then()
        .statusCode(200)
        .body("length", is(body.length))
        .body("sha", is(sha256(body)));
  }

  @Test
  void noReadyZoneGetsAServiceUnavailableInTheApiFormat() {
    ready.set(false);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                given()
                    .get("/openscale/i/v2/subscriptions")
                    .then()
                    .statusCode(503)
                    .header("Retry-After", "1")
                    .body("errors[0].code", is("service_unavailable")));
    ready.set(true);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
