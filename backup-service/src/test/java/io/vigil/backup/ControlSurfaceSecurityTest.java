package io.vigil.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.process.Workspace;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.OpenApiRoutes;
import io.vigil.testkit.OpenApiRoutes.Route;
import io.vigil.testkit.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Everything of backup-service takes the operator's key: every route its OpenAPI documents answers
 * 401 in the API's error format without it, the read-only key reads but starts nothing, and a
 * restore writes only inside the restore root ({@code vigil.backup.restore-root}, {@code
 * target/testkit} in tests).
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class ControlSurfaceSecurityTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  private final Workspace ws = Workspace.forTests();

  @Test
  void everyDocumentedRouteNeedsTheOperatorKey() {
    List<Route> routes = OpenApiRoutes.documented();
    assertThat(routes)
        .extracting(Route::toString)
        .contains("GET /backups", "GET /backups/status", "POST /backups/x", "POST /restores");
    for (Route r : routes) {
      for (String header : List.of("", "Bearer wrong", "Bearer " + Operator.KEY + "x")) {
        var request = given().contentType("application/json").body("{}");
        if (!header.isEmpty()) {
          request.header("Authorization", header);
        }
        request
            .request(r.method(), r.path())
            .then()
            .statusCode(401)
            .body("errors[0].code", is("unauthorized"))
            .body("trace", notNullValue());
      }
      int reader =
          Operator.reader()
              .contentType("application/json")
              .body("{}")
              .request(r.method(), r.path())
              .statusCode();
      if (r.method().equals("GET")) {
        assertThat(reader).as("reader key on " + r).isNotIn(401, 403);
      } else {
        assertThat(reader).as("reader key on " + r).isEqualTo(403);
      }
    }
  }

  @Test
  void refusedCallsStartNothing() {
    int before = points();
    given().post("/backups/etcd").then().statusCode(401);
    Operator.reader().post("/backups/etcd").then().statusCode(403);
    given().post("/backups/drills/etcd").then().statusCode(401);
    assertThat(points()).isEqualTo(before);
    Operator.given().post("/backups/etcd").then().statusCode(201);
    assertThat(points()).isEqualTo(before + 1); // the count can move: the check above is real
  }

  @Test
  void restoresWriteOnlyInsideTheRestoreRoot() throws Exception {
    Operator.given().post("/backups/etcd").then().statusCode(201);
    Path outside = Files.createTempDirectory("vigil-outside-").resolve("restored");
    Path escape = ws.root().resolve("../../../" + UUID.randomUUID()).toAbsolutePath();
    Path link = ws.root().resolve("link-" + UUID.randomUUID()).toAbsolutePath();
    Files.createDirectories(ws.root());
    Files.createSymbolicLink(link, outside.getParent());
    for (Path dir : List.of(outside, escape, link.resolve("restored"), Path.of("/"))) {
      Operator.given()
          .contentType("application/json")
          .body("{\"target\":\"etcd\",\"directory\":\"" + dir + "\"}")
          .post("/restores")
          .then()
          .statusCode(400)
          .body("errors[0].code", is("invalid_directory"));
    }
    assertThat(outside).doesNotExist();
    assertThat(escape.normalize()).doesNotExist();
    // inside the root it works
    Path inside = ws.root().resolve("restored-" + UUID.randomUUID()).toAbsolutePath();
    Operator.given()
        .contentType("application/json")
        .body("{\"target\":\"etcd\",\"directory\":\"" + inside + "\"}")
        .post("/restores")
        .then()
        .statusCode(201);
    assertThat(inside.resolve("snapshot.db")).isRegularFile();
  }

  private static int points() {
    return Operator.given()
        .get("/backups")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("recovery_points.etcd")
        .size();
  }
}
