package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restore drills: the newest PostgreSQL base backup and etcd snapshot are restored into scratch
 * instances that must answer, and the time it took is recorded as the last proof.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class DrillTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  @Test
  void theNewestBackupsAreProvenRestorable() {
    given()
        .post("/backups/drills/postgres")
        .then()
        .statusCode(404)
        .body("errors[0].code", is("no_recovery_point"));
    given().post("/backups/postgres").then().statusCode(201);
    given().post("/backups/etcd").then().statusCode(201);

    JsonPath pg =
        given().post("/backups/drills/postgres").then().statusCode(201).extract().jsonPath();
    assertThat(pg.getBoolean("succeeded")).isTrue();
    assertThat(pg.getString("detail")).startsWith("PostgreSQL answered: ");
    assertThat(pg.getDouble("restoreSeconds")).isPositive();

    JsonPath etcd =
        given().post("/backups/drills/etcd").then().statusCode(201).extract().jsonPath();
    assertThat(etcd.getString("detail")).startsWith("etcd healthy at revision ");

    given()
        .get("/backups/drills")
        .then()
        .body("postgres.recoveryPoint", is(pg.getString("recoveryPoint")))
        .body("etcd.succeeded", is(true));
    Management.given()
        .get("/q/metrics")
        .then()
        .body(
            containsString(
                "vigil_backup_drill_last_success_timestamp_seconds{target=\"postgres\"}"))
        .body(containsString("vigil_backup_drills_total{outcome=\"success\",target=\"etcd\"} 1.0"));
    given()
        .post("/backups/drills/mysql")
        .then()
        .statusCode(404)
        .body("errors[0].code", is("unknown_target"));
  }
}
