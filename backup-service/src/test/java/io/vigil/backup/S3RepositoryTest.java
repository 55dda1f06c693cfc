package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.FileStore;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.backup.service.RestoreAccess;
import io.vigil.backup.service.RestoreService;
import io.vigil.commons.postgres.WalPosition;
import io.vigil.commons.topology.TopologyKeys;
import io.vigil.process.EtcdCluster;
import io.vigil.process.PostgresServer;
import io.vigil.process.S3ProxyServer;
import io.vigil.process.Workspace;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import io.vigil.testkit.S3ProxyResource;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The repository in an S3 bucket (a real S3Proxy) with every artifact copied to the other region's
 * repository (a directory) and verified there: a standard S3 client finds the artifacts with the
 * SHA-256 their metadata names; the other region restores PostgreSQL and etcd from its copy alone
 * with the same rows and keys; an object changed in the bucket fails verification.
 */
@QuarkusTest
@TestProfile(S3RepositoryTest.CopyToOtherRegion.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = PostgresForBackupsResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3RepositoryTest {

  @BeforeEach
  void leads() {
    Leadership.awaitLeading();
  }

  static final Path COPY =
      Path.of("target/test-copies-" + UUID.randomUUID().toString().substring(0, 8))
          .toAbsolutePath();

  /** Copies go to a directory standing for the other region's repository. */
  public static class CopyToOtherRegion implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "vigil.backup.copy.path",
          COPY.toString(),
          "vigil.backup.copy.retry-interval",
          "1s",
          "vigil.backup.wal.spool",
          "target/wal-spool-" + UUID.randomUUID());
    }
  }

  @Inject BackupConfig config;
  @Inject ObjectMapper json;

  private final Workspace ws = Workspace.forTests();

  @Test
  @Order(1)
  void backupsLandInTheBucketAndAreCopiedAndVerifiedInTheOtherRegion() throws Exception {
    PostgresServer pg = PostgresForBackupsResource.current();
    pg.execute(
        "vigil",
        "CREATE TABLE s(id int PRIMARY KEY); INSERT INTO s SELECT generate_series(1, 700)");
    try (Client etcd = etcd()) {
      etcd.getKVClient().put(bytes("/vigil/s3-test/key"), bytes("v1")).get(5, TimeUnit.SECONDS);
    }
    JsonPath snapshot = given().post("/backups/etcd").then().statusCode(201).extract().jsonPath();
    JsonPath base = given().post("/backups/postgres").then().statusCode(201).extract().jsonPath();
    pg.execute("vigil", "INSERT INTO s SELECT generate_series(701, 900)");

    try (S3Client s3 = s3()) {
      for (JsonPath p : List.of(snapshot, base)) {
        byte[] object =
            s3.getObjectAsBytes(
                    b -> b.bucket(S3ProxyResource.bucket()).key("us-south/" + p.getString("file")))
                .asByteArray();
        assertThat(sha256(object)).isEqualTo(p.getString("sha256"));
      }
    }
    // the other region's repository has every artifact of this one, whole
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              given().get("/backups/status").then().body("copy.pending", is(0));
              assertThat(COPY.resolve("us-south/" + snapshot.getString("file"))).isRegularFile();
              assertThat(COPY.resolve("us-south/pg/base/" + base.getString("id") + "/backup.json"))
                  .isRegularFile();
            });
    for (JsonPath p : List.of(snapshot, base)) {
      assertThat(sha256(Files.readAllBytes(COPY.resolve("us-south/" + p.getString("file")))))
          .isEqualTo(p.getString("sha256"));
    }

    // the WAL of the last commit is reported safe in the other region once it is verified there,
    // and published in etcd for monitoring-services that acknowledge only then
    WalPosition committed;
    try (java.sql.Connection c = pg.connect("vigil");
        java.sql.ResultSet r = c.createStatement().executeQuery(WalPosition.FLUSHED_QUERY)) {
      r.next();
      committed = WalPosition.of(r.getString(1), r.getString(2));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              String reported =
                  given().get("/backups/status").then().extract().path("copy.standby_durable_wal");
              assertThat(reported).as("standby-durable WAL").isNotNull();
              assertThat(WalPosition.parse(reported).covers(committed))
                  .as(reported + " covers " + committed)
                  .isTrue();
            });
    try (Client etcd = etcd()) {
      String published =
          etcd.getKVClient()
              .get(bytes(TopologyKeys.standbyDurable("us-south")))
              .get(5, TimeUnit.SECONDS)
              .getKvs()
              .get(0)
              .getValue()
              .toString();
      assertThat(WalPosition.parse(published).covers(committed)).as(published).isTrue();
    }
    // and what was reported is really there: the copies' newest WAL holds that commit's end
    // (the restore of the next test replays it: all 900 rows)
    Management.given()
        .get("/q/metrics")
        .then()
        .body(
            org.hamcrest.Matchers.containsString("vigil_backup_copies_total{outcome=\"success\"}"));
  }

  @Test
  @Order(2)
  void theOtherRegionRestoresFromItsCopyAloneWithTheSameRowsAndKeys() throws Exception {
    PostgresServer source = PostgresForBackupsResource.current();
    // the WAL up to the last insert has reached the other region too
    BackupRepository other =
        new BackupRepository(new FileStore(COPY), "us-east", json, EncryptionKeys.cipher());
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              List<RecoveryPoint> wal = other.list("us-south", BackupRepository.WAL);
              return !wal.isEmpty()
                  && given().get("/backups/status").then().extract().path("copy.pending").equals(0)
                  && countAfterRestore(other, source) == 900;
            });

    RestoreService restores = RestoreAccess.over(other, config);
    Path etcdDir = ws.root().resolve("other-region-etcd-" + UUID.randomUUID()).toAbsolutePath();
    RestoreService.Restored snapshot =
        restores.restore(
            restores.choose("us-south", "etcd", Optional.empty(), Optional.empty()), etcdDir);
    try (EtcdCluster copy =
            EtcdCluster.fromSnapshot(
                ws, "us-east-etcd", 1, snapshot.path(), EtcdResource.current().root());
        Client client = EtcdResource.client(copy.endpoints(), copy.root())) {
      var kv = client.getKVClient().get(bytes("/vigil/s3-test/key")).get(5, TimeUnit.SECONDS);
      assertThat(kv.getKvs()).hasSize(1);
      assertThat(kv.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8)).isEqualTo("v1");
    }
  }

  private int attempts;

  private long countAfterRestore(BackupRepository other, PostgresServer source) throws Exception {
    RestoreService restores = RestoreAccess.over(other, config);
    Path dir = ws.root().resolve("other-region-pg-" + (++attempts) + "-" + UUID.randomUUID());
    restores.restore(
        restores.choose("us-south", "postgres", Optional.empty(), Optional.empty()),
        dir.toAbsolutePath());
    try (PostgresServer copy =
            PostgresServer.startRestored(
                ws, "us-east-pg", dir.toAbsolutePath(), source.password());
        Connection c = copy.connect("vigil")) {
      copy.awaitPromoted(Duration.ofSeconds(30));
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM s")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  @Order(3)
  void anObjectChangedInTheBucketFailsVerification() throws Exception {
    JsonPath snapshot = given().post("/backups/etcd").then().statusCode(201).extract().jsonPath();
    String key = "us-south/" + snapshot.getString("file");
    try (S3Client s3 = s3()) {
      byte[] object =
          s3.getObjectAsBytes(b -> b.bucket(S3ProxyResource.bucket()).key(key)).asByteArray();
      object[object.length / 2] ^= 1;
      s3.putObject(b -> b.bucket(S3ProxyResource.bucket()).key(key), RequestBody.fromBytes(object));
    }
    given()
        .post("/backups/verify")
        .then()
        .statusCode(409)
        .body(org.hamcrest.Matchers.containsString(snapshot.getString("file")));
  }

  private static Client etcd() {
    return EtcdResource.client();
  }

  private static S3Client s3() {
    S3ProxyServer server = S3ProxyResource.current();
    return S3Client.builder()
        .endpointOverride(URI.create(server.endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(server.accessKey(), server.secretKey())))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
