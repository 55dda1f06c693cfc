package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vigil.process.EtcdCluster;
import io.vigil.process.PostgresServer;
import io.vigil.process.Workspace;
import io.vigil.testkit.EtcdResource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restores from the repository alone: a PostgreSQL base backup restored into a new directory starts
 * and holds exactly the rows committed before the backup; an etcd snapshot restored into a new
 * cluster with new member names holds the keys it had. Bad requests change nothing.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
class RestoreTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  private final Workspace ws = Workspace.forTests();

  @Test
  void aRestoredPostgresHoldsExactlyTheRowsCommittedBeforeTheBackup() throws Exception {
    PostgresServer source = PostgresForBackupsResource.current();
    source.execute(
        "vigil",
        "CREATE TABLE r(id int PRIMARY KEY); INSERT INTO r SELECT generate_series(1, 1000)");
    String id = given().post("/backups/postgres").then().statusCode(201).extract().path("id");
    source.execute("vigil", "INSERT INTO r SELECT generate_series(1001, 1500)");

    Path dir = ws.root().resolve("restored-pg-" + UUID.randomUUID()).toAbsolutePath();
    JsonPath restored =
        given()
            .contentType("application/json")
            .body(
                "{\"target\":\"postgres\",\"recovery_point\":\""
                    + id
                    + "\",\"directory\":\""
                    + dir
                    + "\"}")
            .post("/restores")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    assertThat(restored.getString("path")).isEqualTo(dir.toString());

    try (PostgresServer copy =
            PostgresServer.startRestored(ws, "restored-pg", dir, source.password());
        Connection c = copy.connect("vigil");
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*), max(id) FROM r")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1000);
      assertThat(rs.getInt(2)).isEqualTo(1000);
    }
  }

  @Test
  void aRestoredEtcdHasTheSnapshotsKeysUnderNewMemberNames() throws Exception {
    try (Client etcd = EtcdResource.client()) {
      etcd.getKVClient()
          .put(bytes("/vigil/restore-test/before"), bytes("kept"))
          .get(5, TimeUnit.SECONDS);
      given().post("/backups/etcd").then().statusCode(201);
      etcd.getKVClient()
          .put(bytes("/vigil/restore-test/after"), bytes("later"))
          .get(5, TimeUnit.SECONDS);
    }
    Path dir = ws.root().resolve("restored-etcd-" + UUID.randomUUID()).toAbsolutePath();
    JsonPath restored =
        given()
            .contentType("application/json")
            .body("{\"target\":\"etcd\",\"directory\":\"" + dir + "\"}")
            .post("/restores")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    Path snapshot = Path.of(restored.getString("path"));
    assertThat(snapshot).isRegularFile();

    try (EtcdCluster copy =
            EtcdCluster.fromSnapshot(ws, "dr-etcd", 1, snapshot, EtcdResource.current().root());
        Client client = EtcdResource.client(copy.endpoints(), copy.root())) {
      assertThat(copy.members().get(0).name()).startsWith("dr-etcd");
      var before =
          client.getKVClient().get(bytes("/vigil/restore-test/before")).get(5, TimeUnit.SECONDS);
      var after =
          client.getKVClient().get(bytes("/vigil/restore-test/after")).get(5, TimeUnit.SECONDS);
      assertThat(before.getKvs()).hasSize(1);
      assertThat(before.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8))
          .isEqualTo("kept");
      assertThat(after.getKvs()).isEmpty();
    }
  }

  @Test
  void badRestoreRequestsGetClearErrorsAndWriteNothing() throws Exception {
    given().post("/backups/etcd").then().statusCode(201);
    Path dir = ws.root().resolve("untouched-" + UUID.randomUUID()).toAbsolutePath();
    given()
        .contentType("application/json")
        .body("{\"target\":\"mysql\",\"directory\":\"" + dir + "\"}")
        .post("/restores")
        .then()
        .statusCode(400)
        .body("errors[0].code", is("unknown_target"));
    given()
        .contentType("application/json")
        .body(
            "{\"target\":\"etcd\",\"time\":\"2001-01-01T00:00:00Z\",\"directory\":\"" + dir + "\"}")
        .post("/restores")
        .then()
        .statusCode(400)
        .body("errors[0].code", is("outside_recovery_window"));
    given()
        .contentType("application/json")
        .body("{\"target\":\"etcd\",\"recovery_point\":\"nope\",\"directory\":\"" + dir + "\"}")
        .post("/restores")
        .then()
        .statusCode(404)
        .body("errors[0].code", is("recovery_point_not_found"));
    given()
        .contentType("application/json")
        .body("{\"target\":\"etcd\",\"directory\":\"relative/dir\"}")
        .post("/restores")
        .then()
        .statusCode(400)
        .body("errors[0].code", is("invalid_directory"));
    assertThat(dir).doesNotExist();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("keep.txt"), "x");
    given()
        .contentType("application/json")
        .body("{\"target\":\"etcd\",\"directory\":\"" + dir + "\"}")
        .post("/restores")
        .then()
        .statusCode(409)
        .body("errors[0].code", is("directory_not_empty"));
    assertThat(Files.list(dir).count()).isEqualTo(1);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @jakarta.inject.Inject io.vigil.backup.repository.BackupRepository repository;
  @jakarta.inject.Inject io.vigil.backup.config.BackupConfig config;
  @jakarta.inject.Inject com.fasterxml.jackson.databind.ObjectMapper json;

  @Test
  void aRestoreWithoutTheRightKeyFailsClearlyBeforeWritingAnything() throws Exception {
    given().post("/backups/etcd").then().statusCode(201);
    byte[] other = new byte[32];
    new java.security.SecureRandom().nextBytes(other);
    String wrongKey =
        EncryptionKeys.ACTIVE + ":" + java.util.Base64.getEncoder().encodeToString(other);
    String missingKey = "another:" + java.util.Base64.getEncoder().encodeToString(other);
    for (String key : java.util.List.of(wrongKey, missingKey)) {
      io.vigil.backup.service.RestoreService restores =
          io.vigil.backup.service.RestoreAccess.over(
              new io.vigil.backup.repository.BackupRepository(
                  repository.store(),
                  repository.region(),
                  json,
                  new io.vigil.backup.repository.ArtifactCipher(java.util.List.of(key))),
              config);
      Path dir = ws.root().resolve("restored-no-key-" + UUID.randomUUID()).toAbsolutePath();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  restores.restore(
                      restores.choose(
                          repository.region(),
                          "etcd",
                          java.util.Optional.empty(),
                          java.util.Optional.empty()),
                      dir))
          .isInstanceOf(io.vigil.commons.api.ApiException.class)
          .hasMessageContaining("key '" + EncryptionKeys.ACTIVE + "'");
      assertThat(dir).doesNotExist();
    }
  }

  @Test
  void afterAKeyRotationBackupsOfTheOldKeyAndOfTheNewOneRestore() throws Exception {
    given().post("/backups/etcd").then().statusCode(201);
    byte[] fresh = new byte[32];
    new java.security.SecureRandom().nextBytes(fresh);
    // the rotation: the new key first (it encrypts), the keys of before after it (they decrypt)
    java.util.List<String> keys = new java.util.ArrayList<>();
    keys.add("rotated-2027:" + java.util.Base64.getEncoder().encodeToString(fresh));
    keys.addAll(
        java.util.List.of(
            org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("vigil.backup.encryption.keys", String.class)
                .split(",")));
    io.vigil.backup.repository.BackupRepository rotated =
        new io.vigil.backup.repository.BackupRepository(
            repository.store(),
            repository.region(),
            json,
            new io.vigil.backup.repository.ArtifactCipher(keys));
    io.vigil.backup.service.RestoreService restores =
        io.vigil.backup.service.RestoreAccess.over(rotated, config);
    io.vigil.backup.service.RestoreService.Plan old =
        restores.choose(
            repository.region(), "etcd", java.util.Optional.empty(), java.util.Optional.empty());
    assertThat(old.point().encryption().keyId()).isEqualTo(EncryptionKeys.ACTIVE);

    // a backup of the old key restores
    Path oldDir = ws.root().resolve("restored-old-key-" + UUID.randomUUID()).toAbsolutePath();
    Path oldSnapshot = restores.restore(old, oldDir).path();
    assertThat(sha256(oldSnapshot)).isEqualTo(old.point().encryption().contentSha256());

    // a backup stored after the rotation is sealed with the new key, and restores too
    Path plain = ws.root().resolve("plain-" + UUID.randomUUID());
    java.nio.file.Files.copy(oldSnapshot, plain);
    io.vigil.backup.repository.RecoveryPoint p = old.point();
    String id = p.id() + "-rotated";
    java.time.Instant later = p.time().plusSeconds(1);
    io.vigil.backup.repository.RecoveryPoint stored =
        rotated.store(
            plain,
            new io.vigil.backup.repository.RecoveryPoint(
                p.target(),
                id,
                p.region(),
                io.vigil.backup.repository.BackupRepository.artifactPath(p.target(), id),
                java.nio.file.Files.size(oldSnapshot),
                sha256(oldSnapshot),
                later,
                later,
                p.revision(),
                p.lsn(),
                p.endLsn(),
                p.timeline(),
                p.verifiedWith(),
                null));
    assertThat(stored.encryption().keyId()).isEqualTo("rotated-2027");
    io.vigil.backup.service.RestoreService.Plan fresh2 =
        restores.choose(
            repository.region(), "etcd", java.util.Optional.of(id), java.util.Optional.empty());
    Path newDir = ws.root().resolve("restored-new-key-" + UUID.randomUUID()).toAbsolutePath();
    assertThat(sha256(restores.restore(fresh2, newDir).path())).isEqualTo(sha256(oldSnapshot));
    // the service, which lacks the new key, names it rather than restoring half
    io.vigil.backup.service.RestoreService before =
        io.vigil.backup.service.RestoreAccess.over(repository, config);
    Path refused = ws.root().resolve("restored-refused-" + UUID.randomUUID()).toAbsolutePath();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> before.restore(fresh2, refused))
        .hasMessageContaining("key 'rotated-2027'");
    assertThat(refused).doesNotExist();
    rotated.delete(stored);
  }

  private static String sha256(Path file) throws java.io.IOException {
    return io.vigil.backup.repository.BackupRepository.sha256(file);
  }
}
