package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.process.PostgresServer;
import io.vigil.process.Workspace;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Continuous WAL archiving with {@code pg_receivewal} and point-in-time recovery, against a real
 * PostgreSQL: under steady writes the PostgreSQL RPO exposure stays far below the time since the
 * base backup; a restore to a time between two commits holds exactly the rows committed up to then;
 * a restore to the latest point holds every acknowledged row.
 */
@QuarkusTest
@TestProfile(PointInTimeRecoveryTest.Archiving.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PointInTimeRecoveryTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  /** A 6 s PostgreSQL objective: base backups alone (none scheduled here) could not keep it. */
  public static class Archiving implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "vigil.backup.rpo.postgres", "6s",
          "vigil.backup.wal.partial-interval", "1s",
          "vigil.backup.wal.spool", "target/wal-spool-" + UUID.randomUUID());
    }
  }

  private final Workspace ws = Workspace.forTests();

  @jakarta.inject.Inject BackupRepository repository;

  @Test
  @Order(1)
  void underSteadyWritesTheExposureStaysBelowTheObjective() throws Exception {
    PostgresServer pg = PostgresForBackupsResource.current();
    pg.execute("vigil", "CREATE TABLE w(id serial PRIMARY KEY, at timestamptz DEFAULT now())");
    given().post("/backups/postgres").then().statusCode(201);
    awaitDurableAfter(Instant.now());

    List<Double> samples = new ArrayList<>();
    java.util.Set<String> partialCopies = new java.util.HashSet<>();
    List<String> mismatches = new ArrayList<>();
    Instant end = Instant.now().plusSeconds(14);
    try (Connection c = pg.connect("vigil")) {
      while (Instant.now().isBefore(end)) {
        for (int i = 0; i < 5; i++) {
          c.createStatement().execute("INSERT INTO w DEFAULT VALUES");
        }
        samples.add(
            given()
                .get("/backups/status")
                .then()
                .extract()
                .jsonPath()
                .getDouble("rpo.postgres.exposure_seconds"));
        // every copy read while the archiver ships is whole: its bytes are the ones its metadata
        // names, or it is gone (superseded by the next copy)
        for (RecoveryPoint p : repository.list(BackupRepository.WAL)) {
          if (p.id().endsWith(".partial")) {
            partialCopies.add(p.id());
            String problem = repository.check(p);
            if (problem != null && !problem.startsWith("missing:")) {
              mismatches.add(problem);
            }
          }
        }
        Thread.sleep(200);
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(partialCopies).hasSizeGreaterThan(5);
    // the writes stopped: the newest copy of the segment being written is the only one left
    awaitDurableAfter(Instant.now());
    Thread.sleep(1500);
    Map<String, Long> copiesPerSegment =
        repository.list(BackupRepository.WAL).stream()
            .filter(p -> p.id().endsWith(".partial"))
            .collect(
                java.util.stream.Collectors.groupingBy(
                    p -> p.id().substring(0, 24), java.util.stream.Collectors.counting()));
    assertThat(copiesPerSegment).isNotEmpty().allSatisfy((s, n) -> assertThat(n).isEqualTo(1L));
    // 14 s after the only base backup: only the archived WAL keeps the exposure this low
    assertThat(samples).hasSizeGreaterThan(20);
    assertThat(samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
        .isLessThan(6.0);
    Management.given()
        .get("/q/health/group/rpo")
        .then()
        .body("checks[0].data.postgres", org.hamcrest.Matchers.containsString("within 6 s"));
    given().get("/backups/status").then().body("wal.streaming", org.hamcrest.Matchers.is(true));
  }

  @Test
  @Order(2)
  void aRestoreToATimeHoldsExactlyTheRowsCommittedUpToThen() throws Exception {
    PostgresServer pg = PostgresForBackupsResource.current();
    pg.execute(
        "vigil",
        "CREATE TABLE p(id int PRIMARY KEY); INSERT INTO p SELECT generate_series(1, 1000)");
    given().post("/backups/postgres").then().statusCode(201);
    pg.execute("vigil", "INSERT INTO p SELECT generate_series(1001, 1500)");
    Thread.sleep(300);
    Instant between = Instant.now();
    Thread.sleep(300);
    pg.execute("vigil", "INSERT INTO p SELECT generate_series(1501, 2000)");
    awaitDurableAfter(Instant.now());

    assertThat(restoreAndCount("\"time\":\"" + between + "\"")).isEqualTo(1500);
    assertThat(restoreAndCount("\"recovery_point\":\"latest\"")).isEqualTo(2000);

    // outside the window: before the oldest base backup, or after the newest archived WAL
    JsonPath window = given().get("/backups").then().extract().jsonPath();
    Instant from = Instant.parse(window.getString("recovery_window.postgres.from"));
    for (Instant outside : List.of(from.minusSeconds(60), Instant.now().plusSeconds(3600))) {
      Path dir = ws.root().resolve("pitr-outside-" + UUID.randomUUID()).toAbsolutePath();
      given()
          .contentType("application/json")
          .body(
              "{\"target\":\"postgres\",\"time\":\""
                  + outside
                  + "\",\"directory\":\""
                  + dir
                  + "\"}")
          .post("/restores")
          .then()
          .statusCode(400)
          .body("errors[0].code", org.hamcrest.Matchers.is("outside_recovery_window"));
      assertThat(dir).doesNotExist();
    }
  }

  private long restoreAndCount(String choice) throws Exception {
    PostgresServer source = PostgresForBackupsResource.current();
    Path dir = ws.root().resolve("pitr-" + UUID.randomUUID()).toAbsolutePath();
    JsonPath restored =
        given()
            .contentType("application/json")
            .body("{\"target\":\"postgres\"," + choice + ",\"directory\":\"" + dir + "\"}")
            .post("/restores")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    assertThat(restored.getInt("wal_segments")).isPositive();
    assertThat(Files.exists(dir.resolve("recovery.signal"))).isTrue();
    try (PostgresServer copy = PostgresServer.startRestored(ws, "pitr-pg", dir, source.password());
        Connection c = copy.connect("vigil")) {
      // recovery ends with a promotion; then the server is a primary with the rows replayed
      copy.awaitPromoted(Duration.ofSeconds(30));
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM p")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void awaitDurableAfter(Instant t) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              String at =
                  given()
                      .get("/backups/status")
                      .then()
                      .extract()
                      .jsonPath()
                      .getString("wal.durable_at");
              return at != null && Instant.parse(at).isAfter(t);
            });
  }
}
