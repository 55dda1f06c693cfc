package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.backup.service.WalArchiver;
import io.vigil.process.Commands;
import io.vigil.process.PostgresServer;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The stream goes through a replication slot: while it is stopped the primary keeps the WAL it has
 * not archived, and the chain goes on. It breaks only when the primary removes WAL the stream has
 * not archived anyway (here: the slot may hold back almost nothing while the stream is stopped and
 * the primary switches segments and checkpoints them away). Streaming must then start again from
 * the primary's position through a new slot — not from the archive's newest segment, which the
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
  @jakarta.inject.Inject BackupRepository repository;

  @Test
  void theSlotKeepsWhatAStoppedStreamHasNotArchivedAndTheChainGoesOn() throws Exception {
    PostgresServer pg = streamingWithABaseBackup();
    long before = wal.chainBreaks();
    assertThat(wal.slot()).contains(PostgresServer.WAL_ARCHIVE_SLOT);
    assertThat(given().get("/backups/status").then().extract().<String>path("wal.slot"))
        .isEqualTo(PostgresServer.WAL_ARCHIVE_SLOT);
    String first = query(pg, "SELECT pg_walfile_name(pg_current_wal_lsn())");

    long receiver = receiverPid();
    stopTheStreamWhileThePrimaryMovesOn(pg, receiver);
    // the slot held the WAL back through the checkpoints
    assertThat(
            query(
                pg,
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"
                    + PostgresServer.WAL_ARCHIVE_SLOT
                    + "'"))
        .isIn("reserved", "extended");
    String last = query(pg, "SELECT pg_walfile_name(pg_current_wal_lsn())");
    Commands.runChecked(List.of("kill", "-KILL", Long.toString(receiver)), Duration.ofSeconds(5));

    // the restarted stream goes on from the archive's newest segment: every segment the primary
    // wrote meanwhile reaches the repository, and the chain never broke
    await().atMost(Duration.ofSeconds(20)).until(wal::streaming);
    List<String> expected = segments(first, last);
    assertThat(expected).hasSizeGreaterThanOrEqualTo(4);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        repository.list(BackupRepository.WAL).stream()
                            .map(RecoveryPoint::id)
                            .toList())
                    .containsAll(expected));
    assertThat(wal.chainBreaks()).isEqualTo(before);
    assertThat(wal.streaming()).isTrue();
  }

  @Test
  void aBrokenChainStreamsAgainFromThePrimaryOnceAndABaseBackupRestoresTheRpo() throws Exception {
    PostgresServer pg = streamingWithABaseBackup();
    long before = wal.chainBreaks();

    // the slot may hold back next to nothing: the checkpoints remove WAL the stream has not got
    pg.execute("postgres", "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    pg.execute("postgres", "SELECT pg_reload_conf()");
    long receiver = receiverPid();
    try {
      stopTheStreamWhileThePrimaryMovesOn(pg, receiver);
      Commands.runChecked(List.of("kill", "-KILL", Long.toString(receiver)), Duration.ofSeconds(5));
      // the restarted stream finds the chain broken: once
      await().atMost(Duration.ofSeconds(30)).until(() -> wal.chainBreaks() > before);
    } finally {
      pg.execute("postgres", "ALTER SYSTEM RESET max_slot_wal_keep_size");
      pg.execute("postgres", "SELECT pg_reload_conf()");
    }
    // then it streams from the primary through a new slot and stays up (re-seeded from the archive
    // it broke again every start, a couple of seconds apart)
    await().atMost(Duration.ofSeconds(20)).until(wal::streaming);
    Instant steady = Instant.now().plusSeconds(6);
    while (Instant.now().isBefore(steady)) {
      pg.execute("vigil", "INSERT INTO c(v) VALUES ('after')");
      Thread.sleep(200);
    }
    assertThat(wal.chainBreaks()).isEqualTo(before + 1);
    assertThat(wal.streaming()).isTrue();
    assertThat(wal.slot()).contains(PostgresServer.WAL_ARCHIVE_SLOT);
    assertThat(
            query(
                pg,
                "SELECT active::text || ' ' || wal_status FROM pg_replication_slots"
                    + " WHERE slot_name = '"
                    + PostgresServer.WAL_ARCHIVE_SLOT
                    + "'"))
        .isEqualTo("true reserved");

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

  /** The leader streams WAL, and a base backup is in the repository. */
  private PostgresServer streamingWithABaseBackup() {
    Leadership.awaitLeading();
    PostgresServer pg = PostgresForBackupsResource.current();
    pg.execute("vigil", "CREATE TABLE IF NOT EXISTS c(id serial PRIMARY KEY, v text)");
    given().post("/backups/postgres").then().statusCode(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> wal.durableAt().isPresent());
    await().atMost(Duration.ofSeconds(20)).until(wal::streaming);
    return pg;
  }

  /** The stream stops; the primary writes and checkpoints four segments away meanwhile. */
  private static void stopTheStreamWhileThePrimaryMovesOn(PostgresServer pg, long receiver) {
    Commands.runChecked(List.of("kill", "-STOP", Long.toString(receiver)), Duration.ofSeconds(5));
    for (int i = 0; i < 4; i++) {
      pg.execute(
          "vigil",
          "INSERT INTO c(v) SELECT repeat('x', 1000) FROM generate_series(1, 2000);"
              + " SELECT pg_switch_wal()");
    }
    // a checkpoint that invalidates the slot ends the stalled stream's server process first: it
    // waits until tcp_user_timeout drops the connection — bounded here so a server without it
    // fails the test rather than hanging it
    pg.execute("vigil", "SET statement_timeout = '90s'; CHECKPOINT; CHECKPOINT");
  }

  /** The complete segments from {@code first} up to (not including) {@code last}. */
  private static List<String> segments(String first, String last) {
    List<String> names = new ArrayList<>();
    for (long n = number(first); n < number(last); n++) {
      names.add(String.format("%s%08X%08X", first.substring(0, 8), n / SEGMENTS, n % SEGMENTS));
    }
    return names;
  }

  /** 16 MB segments: 0x100 of them in a log file. */
  private static final long SEGMENTS = 0x100;

  /** A segment's number: its log file's and its own, e.g. 0x1_05 for {@code …000000010000005}. */
  private static long number(String segment) {
    return Long.parseLong(segment.substring(8, 16), 16) * SEGMENTS
        + Long.parseLong(segment.substring(16, 24), 16);
  }

  private static String query(PostgresServer pg, String sql) throws SQLException {
    try (Connection c = pg.connect("vigil");
        ResultSet r = c.createStatement().executeQuery(sql)) {
      assertThat(r.next()).as(sql).isTrue();
      return r.getString(1);
    }
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
