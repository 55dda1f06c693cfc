package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vigil.testkit.EtcdResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No request stays open longer than {@code vigil.backup.request-wait}: a backup or a restore that
 * takes longer is answered 202 with where to follow it, and goes on to its end.
 */
@QuarkusTest
@TestProfile(LongRequestTest.ShortWait.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class LongRequestTest {

  /** Every request is answered before its work can end. */
  public static class ShortWait implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("vigil.backup.request-wait", "0.001s");
    }
  }

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  @Test
  void aBackupAndARestoreOutlivingTheirRequestAreAcceptedAndFollowed() throws Exception {
    Response started = given().post("/backups/postgres");
    assertThat(started.statusCode()).isEqualTo(202);
    assertThat(started.header("Location")).isEqualTo("/backups/status");
    assertThat(started.jsonPath().getString("state")).isEqualTo("running");
    String id = started.jsonPath().getString("id");
    assertThat(id).isNotBlank();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                given()
                    .get("/backups/status")
                    .then()
                    .body("last.postgres.id", is(id))
                    .body("last.postgres.succeeded", is(true)));

    Path dir = Path.of("target/testkit/long-restore-" + UUID.randomUUID()).toAbsolutePath();
    Response restoring =
        given()
            .contentType("application/json")
            .body(
                "{\"target\":\"postgres\",\"recovery_point\":\""
                    + id
                    + "\",\"directory\":\""
                    + dir
                    + "\"}")
            .post("/restores");
    assertThat(restoring.statusCode()).isEqualTo(202);
    String job = restoring.jsonPath().getString("id");
    assertThat(restoring.header("Location")).isEqualTo("/restores/" + job);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> given().get("/restores/" + job).then().statusCode(200).body("state", is("done")));
    String path = given().get("/restores/" + job).jsonPath().getString("path");
    assertThat(Files.exists(Path.of(path))).isTrue();
    given().get("/restores/no-such-restore").then().statusCode(404);
    // following needs the operator's key too
    io.restassured.RestAssured.given().get("/restores/" + job).then().statusCode(401);
  }
}
