package io.vigil.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.List;
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
    assertThat(Management.port()).isNotEqualTo(RestAssured.port);
    for (String path :
        List.of("/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/dev-ui")) {
      RestAssured.given().get(path).then().statusCode(404);
    }
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
