package io.vigil.backup;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class BackupServiceHealthTest {

  @Test
  void readyWhenTheRepositoryIsWritable() {
    Management.given().get("/q/health/live").then().statusCode(200);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                Management.given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'backup-repository' }.status", is("UP")));
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> Management.given().get("/q/health/started").then().statusCode(200));
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
    Management.given().accept("application/json").get("/q/openapi").then().statusCode(200);
  }
}
