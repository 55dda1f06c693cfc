package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The elected leader takes etcd snapshots on schedule and keeps the RPO. */
@QuarkusTest
@TestProfile(BackupScheduleTest.Schedule.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class BackupScheduleTest {

  /** Snapshots every 2 s into a repository of its own. */
  public static class Schedule implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "vigil.backup.schedule.enabled",
          "true",
          "vigil.backup.schedule.etcd",
          "2s",
          "vigil.backup.rpo.etcd",
          "10s",
          "vigil.backup.retention.etcd-count",
          "2",
          "vigil.backup.retention.min-age",
          "0s",
          "vigil.test.repository",
          "target/test-backups-schedule-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    }
  }

  @Test
  void theLeaderSnapshotsOnScheduleAndRetentionKeepsTheNewest() {
    // four snapshots taken, two kept
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                Management.given()
                    .get("/q/metrics")
                    .then()
                    .body(
                        org.hamcrest.Matchers.containsString(
                            "vigil_backup_pruned_total{target=\"etcd\"} 2.0")));
    given().get("/backups").then().body("recovery_points.etcd.size()", is(2));
    given().get("/backups/status").then().body("leader", is(true));
    Management.given().get("/q/health/group/rpo").then().statusCode(200);
    Management.given()
        .get("/q/metrics")
        .then()
        .body(
            org.hamcrest.Matchers.containsString(
                "vigil_backup_rpo_exposure_seconds{target=\"etcd\"}"));
  }
}
