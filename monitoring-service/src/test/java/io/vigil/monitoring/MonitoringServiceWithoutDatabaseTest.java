package io.vigil.monitoring;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.process.Ports;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The database is gone: not ready (503, naming it), but alive, so Kubernetes does not restart. */
@QuarkusTest
@TestProfile(MonitoringServiceWithoutDatabaseTest.DeadDatabase.class)
class MonitoringServiceWithoutDatabaseTest {

  /** Points the write pool at a port nobody listens on. */
  public static class DeadDatabase implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      int dead = Ports.free();
      return Map.of(
          "quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + dead + "/vigil",
          "quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + dead + "/vigil");
    }

    @Override
    public boolean disableGlobalTestResources() {
      return true;
    }
  }

  @Test
  void notReadyButAlive() {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                Management.given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(503)
                    .body("status", is("DOWN"))
                    .body(
                        "checks.find { it.name == 'postgresql-primary' }.data.dependency",
                        is("postgresql-primary"))
                    .body(
                        "checks.find { it.name == 'postgresql-primary' }.data.reason",
                        containsString("onnect")));
    Management.given().get("/q/health/live").then().statusCode(200);
    // not started either: the schema cannot be migrated without the database
    Management.given().get("/q/health/started").then().statusCode(503);
  }
}
