package io.vigil.router;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterServiceHealthTest {

  @Test
  void readyOnceTheTopologyIsLoadedAndSeesNewInstances() throws Exception {
    Management.given().get("/q/health/live").then().statusCode(200);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> Management.given().get("/q/health/ready").then().statusCode(200));
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> Management.given().get("/q/health/started").then().statusCode(200));

    try (Client etcd = EtcdResource.client()) {
      etcd.getKVClient()
          .put(
              ByteSequence.from(
                  "/vigil/regions/us-south/zones/zone-b/instances/monitoring-service/m-b1",
                  StandardCharsets.UTF_8),
              ByteSequence.from(
                  "{\"url\":\"http://127.0.0.1:1\",\"service\":\"monitoring-service\","
                      + "\"zone\":\"zone-b\",\"region\":\"us-south\",\"version\":\"t\","
                      + "\"startedAt\":\"2026-01-01T00:00:00Z\"}",
                  StandardCharsets.UTF_8))
          .get(5, TimeUnit.SECONDS);
    }
    // the router itself registers too: two instances in the region once it sees the new one
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                Management.given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'topology' }.data.instances", is(2)));
  }

  @Test
  void theApiPortServesNothingOfTheManagementInterface() {
    Management.assertNothingOnTheApiPort();
  }

  @Test
  void servesPrometheusMetricsAndOpenApi() {
    Management.given()
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("jvm_threads_live_threads"));
    Management.given().accept("application/json").get("/q/openapi").then().statusCode(200);
  }
}
