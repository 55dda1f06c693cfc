package io.vigil.backup;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A repository that cannot be written: not ready (503 naming it), still alive. */
@QuarkusTest
@TestProfile(BackupServiceUnwritableRepositoryTest.Unwritable.class)
class BackupServiceUnwritableRepositoryTest {

  /** A repository path below a file, which no user can create. */
  public static class Unwritable implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("vigil.backup.repository.path", "/dev/null/vigil-backups");
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
                    .body(
                        "checks.find { it.name == 'backup-repository' }.data.dependency",
                        is("backup-repository"))
                    .body(
                        "checks.find { it.name == 'backup-repository' }.data.reason",
                        containsString("/dev/null/vigil-backups")));
    Management.given().get("/q/health/live").then().statusCode(200);
  }
}
