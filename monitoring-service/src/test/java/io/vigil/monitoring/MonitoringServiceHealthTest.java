package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MonitoringServiceHealthTest {

  @Test
  void readyWhenThePrimaryIsReachableAndRegisteredInEtcd() throws Exception {
    Management.given().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                Management.given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'postgresql-primary' }.status", is("UP")));
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> Management.given().get("/q/health/started").then().statusCode(200));

    String prefix = "/vigil/regions/us-south/zones/zone-a/instances/monitoring-service/";
    try (Client etcd = EtcdResource.client()) {
      List<String> values =
          etcd
              .getKVClient()
              .get(
                  ByteSequence.from(prefix, StandardCharsets.UTF_8),
                  GetOption.builder().isPrefix(true).build())
              .get(5, TimeUnit.SECONDS)
              .getKvs()
              .stream()
              .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
              .toList();
      assertThat(values).hasSize(1);
      assertThat(values.get(0))
          .contains("\"url\":\"http://127.0.0.1:" + RestAssured.port + "\"")
          .contains("\"service\":\"monitoring-service\"")
          .contains("\"zone\":\"zone-a\"")
          .contains("\"region\":\"us-south\"");
    }
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
        .body(containsString("jvm_memory_used_bytes"));
    Management.given()
        .accept("application/json")
        .get("/q/openapi")
        .then()
        .statusCode(200)
        .body("openapi", containsString("3."));
  }
}
