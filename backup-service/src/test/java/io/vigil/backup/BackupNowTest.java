package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vigil.process.Commands;
import io.vigil.process.Tools;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backups on request against a real etcd and a real PostgreSQL: a snapshot whose trailer and {@code
 * etcdctl snapshot status} check out, a base backup {@code pg_verifybackup} accepts, both
 * self-described in the repository; the RPO group goes from DOWN to UP; a corrupted artifact is
 * caught by its checksum.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class BackupNowTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  @Test
  void backsUpEtcdAndPostgresVerifiedAndSelfDescribed() throws Exception {
    Path repo =
        Path.of(
                org.eclipse.microprofile.config.ConfigProvider.getConfig()
                    .getValue("vigil.backup.repository.path", String.class))
            .resolve("us-south")
            .toAbsolutePath();
    Management.given()
        .get("/q/health/group/rpo")
        .then()
        .statusCode(503)
        .body("checks[0].data.postgres", containsString("no recovery point"));
    given().get("/backups/status").then().statusCode(200).body("leader", is(true));

    String marker = "vigil-marker-" + java.util.UUID.randomUUID();
    PostgresForBackupsResource.current()
        .execute(
            "vigil",
            "CREATE TABLE IF NOT EXISTS t(id int); INSERT INTO t SELECT generate_series(1, 1000);"
                + " CREATE TABLE IF NOT EXISTS personal(v text); INSERT INTO personal VALUES ('"
                + marker
                + "')");

    JsonPath etcd = given().post("/backups/etcd").then().statusCode(201).extract().jsonPath();
    Path snapshot = repo.resolve(etcd.getString("file"));
    assertThat(snapshot).isRegularFile();
    assertThat(Files.size(snapshot)).isEqualTo(etcd.getLong("size"));
    assertThat(sha256(snapshot)).isEqualTo(etcd.getString("sha256"));
    assertThat(etcd.getLong("revision")).isPositive();
    assertThat(etcd.getString("verifiedWith")).contains("etcdctl snapshot status");
    // stored encrypted: the snapshot is what the key opens, with the content's own checksum
    assertThat(etcd.getString("encryption.keyId")).isEqualTo(EncryptionKeys.ACTIVE);
    Path plainSnapshot = EncryptionKeys.decrypt(snapshot);
    assertThat(sha256(plainSnapshot)).isEqualTo(etcd.getString("encryption.contentSha256"));
    String status =
        Commands.runChecked(
            List.of(
                Tools.etcdctl().toString(),
                "snapshot",
                "status",
                plainSnapshot.toString(),
                "-w",
                "json"),
            Duration.ofSeconds(10));
    assertThat(status).contains("\"revision\":" + etcd.getLong("revision"));

    JsonPath pg = given().post("/backups/postgres").then().statusCode(201).extract().jsonPath();
    Path archive = repo.resolve(pg.getString("file"));
    assertThat(archive).isRegularFile();
    assertThat(sha256(archive)).isEqualTo(pg.getString("sha256"));
    assertThat(pg.getString("lsn")).matches("[0-9A-F]+/[0-9A-F]+");
    // each recovery point pairs a PostgreSQL position with an etcd revision of the same moment
    assertThat(pg.getLong("revision")).isGreaterThanOrEqualTo(etcd.getLong("revision"));
    assertThat(etcd.getString("lsn")).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(pg.getString("endLsn")).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(pg.getInt("timeline")).isEqualTo(1);
    assertThat(pg.getString("verifiedWith")).isEqualTo("pg_verifybackup");
    // the personal data written into PostgreSQL is nowhere in the stored bytes, compressed or
    // not; with the key it is back
    assertThat(pg.getString("file")).endsWith("base.tar.zst");
    assertThat(contains(Files.readAllBytes(archive), marker)).isFalse();
    assertThatThrownBy(() -> unzstd(archive)).hasMessageContaining("zstd");
    Path plainArchive = EncryptionKeys.decrypt(archive);
    assertThat(sha256(plainArchive)).isEqualTo(pg.getString("encryption.contentSha256"));
    assertThat(contains(unzstd(plainArchive), marker)).isTrue();
    String listing =
        Commands.runChecked(
            List.of("tar", "--zstd", "-tf", plainArchive.toString()), Duration.ofSeconds(30));
    assertThat(listing).contains("./backup_manifest", "./PG_VERSION", "./backup_label");
    assertThat(archive.resolveSibling("backup.json")).isRegularFile();

    Management.given().get("/q/health/group/rpo").then().statusCode(200);
    given()
        .get("/backups")
        .then()
        .statusCode(200)
        .body("recovery_points.etcd.size()", is(1))
        .body("recovery_points.postgres.size()", is(1))
        .body("recovery_window.postgres.to", is(pg.getString("time")));
    given().post("/backups/verify").then().statusCode(200).body("verified", is(2));

    // one flipped byte in the snapshot: verification names it
    try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
      f.seek(100);
      int b = f.read();
      f.seek(100);
      f.write(b ^ 0xff);
    }
    given()
        .post("/backups/verify")
        .then()
        .statusCode(409)
        .body("errors[0].code", is("repository_corrupted"))
        .body("errors[1].message", containsString(etcd.getString("file")));
  }

  @Test
  void unknownTargetsAreRefused() {
    given()
        .post("/backups/mysql")
        .then()
        .statusCode(404)
        .body("errors[0].code", is("unknown_target"));
  }

  @Test
  void aSnapshotWhoseTrailerDoesNotMatchIsRejected() throws Exception {
    Path file = Files.createTempFile("snapshot", ".db");
    byte[] data = new byte[4096];
    new java.util.Random(3).nextBytes(data);
    byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(data);
    byte[] whole = new byte[data.length + 32];
    System.arraycopy(data, 0, whole, 0, data.length);
    System.arraycopy(sha, 0, whole, data.length, 32);
    Files.write(file, whole);
    io.vigil.backup.service.EtcdSnapshotsAccess.checkTrailer(file);
    whole[10] ^= 1;
    Files.write(file, whole);
    assertThatThrownBy(() -> io.vigil.backup.service.EtcdSnapshotsAccess.checkTrailer(file))
        .hasMessageContaining("integrity check failed");
  }

  /** The content of a zstd file, decompressed by the zstd tool; a failure names it. */
  private static byte[] unzstd(Path file) throws Exception {
    Process p = new ProcessBuilder("zstd", "-dc", file.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    String errors = new String(p.getErrorStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new java.io.IOException("zstd cannot decompress " + file + ": " + errors);
    }
    return out;
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, java.nio.charset.StandardCharsets.ISO_8859_1).contains(needle);
  }

  private static String sha256(Path file) throws Exception {
    return io.vigil.backup.repository.BackupRepository.sha256(file);
  }
}
