package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.backup.service.WalArchiver;
import io.vigil.process.Commands;
import io.vigil.process.PostgresServer;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The WAL chain breaks when the primary removes WAL the stream has not archived (here: the stream
 * is stopped while the primary switches segments and checkpoints them away). Streaming must then
 * start again from the primary's position — not from the archive's newest segment, which the
 * primary no longer has, which would break the chain again at every start — and a base backup makes
 * the archive restorable again.
 */
@QuarkusTest
@TestProfile(WalChainTest.Archiving.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class WalChainTest {

  private static final String SPOOL = "target/wal-spool-" + UUID.randomUUID();

  /** Archiving into a spool of this test's own; the partial segment shipped every second. */
  public static class Archiving implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("vigil.backup.wal.partial-interval", "1s", "vigil.backup.wal.spool", SPOOL);
    }
  }

  @jakarta.inject.Inject WalArchiver wal;

  @Test
  void aBrokenChainStreamsAgainFromThePrimaryOnceAndABaseBackupRestoresTheRpo() throws Exception {
    Leadership.awaitLeading();
    PostgresServer pg = PostgresForBackupsResource.current();
    pg.execute("vigil", "CREATE TABLE IF NOT EXISTS c(id serial PRIMARY KEY, v text)");
    given().post("/backups/postgres").then().statusCode(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> wal.durableAt().isPresent());
    long before = wal.chainBreaks();

    // the stream stops; the primary writes and checkpoints four segments away meanwhile
    long receiver = receiverPid();
    Commands.runChecked(List.of("kill", "-STOP", Long.toString(receiver)), Duration.ofSeconds(5));
    for (int i = 0; i < 4; i++) {
      pg.execute(
          "vigil",
          "INSERT INTO c(v) SELECT repeat('x', 1000) FROM generate_series(1, 2000);"
              + " SELECT pg_switch_wal()");
    }
    pg.execute("vigil", "CHECKPOINT");
    pg.execute("vigil", "CHECKPOINT");
    Commands.runChecked(List.of("kill", "-KILL", Long.toString(receiver)), Duration.ofSeconds(5));

    // the restarted stream finds the chain broken: once
    await().atMost(Duration.ofSeconds(30)).until(() -> wal.chainBreaks() > before);
    // then it streams from the primary and stays up (re-seeded from the archive it broke again
    // every start, a couple of seconds apart)
    await().atMost(Duration.ofSeconds(20)).until(wal::streaming);
    Instant steady = Instant.now().plusSeconds(6);
    while (Instant.now().isBefore(steady)) {
      pg.execute("vigil", "INSERT INTO c(v) VALUES ('after')");
      Thread.sleep(200);
    }
    assertThat(wal.chainBreaks()).isEqualTo(before + 1);
    assertThat(wal.streaming()).isTrue();

    // a base backup (the schedule takes one at once; here by hand) and the archived WAL after it
    // bring the recovery point back to seconds
    given().post("/backups/postgres").then().statusCode(201);
    pg.execute("vigil", "INSERT INTO c(v) VALUES ('last')");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        given()
                            .get("/backups/status")
                            .then()
                            .extract()
                            .jsonPath()
                            .getDouble("rpo.postgres.exposure_seconds"))
                    .isLessThan(5.0));
    assertThat(wal.chainBreaks()).isEqualTo(before + 1);
    assertThat(Management.given().get("/q/metrics").then().statusCode(200).extract().asString())
        .containsPattern("vigil_backup_wal_chain_breaks_total(\\{[^}]*\\})? [1-9]");
  }

  /** The pg_receivewal this test's archiver runs (the one writing into its spool). */
  private static long receiverPid() {
    String spool = Path.of(SPOOL).toAbsolutePath().toString();
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info().commandLine().orElse("").contains("pg_receivewal")
                    && p.info().commandLine().orElse("").contains(spool))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no pg_receivewal writes into " + spool))
        .pid();
  }
}
