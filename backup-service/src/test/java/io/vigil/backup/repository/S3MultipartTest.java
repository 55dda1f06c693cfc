package io.vigil.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.process.S3ProxyServer;
import io.vigil.process.Workspace;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Artifacts larger than a part go up as multipart uploads, several parts at once, against a real
 * S3Proxy; an upload left unfinished is resumed by the next attempt (its parts reused), one of
 * other content is aborted; listings page past 1,000 keys; an artifact of {@code
 * vigil.test.big-object-mb} (300 MB here; {@code -Dvigil.test.big-object-mb=6144} for the 6 GB one,
 * over S3's 5 GB single-PUT limit) goes up in 64 MiB parts and comes back with its SHA-256. Inside
 * the running service, as the retry policy runs in production.
 */
@io.quarkus.test.junit.QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(
    value = io.vigil.testkit.EtcdResource.class,
    restrictToAnnotatedClass = true)
class S3MultipartTest {

  private static final long PART = 5L << 20;
  private static S3ProxyServer proxy;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    proxy = S3ProxyServer.start(Workspace.forTests(), "s3-multipart");
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private S3Store store(String bucket) throws Exception {
    S3Store store =
        new S3Store(
            URI.create(proxy.endpoint()),
            bucket,
            "",
            proxy.accessKey(),
            proxy.secretKey(),
            "us-east-1",
            dir.resolve("staging"),
            PART,
            3);
    store.probe();
    return store;
  }

  private S3Client client() {
    return S3Client.builder()
        .endpointOverride(URI.create(proxy.endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(
            software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(proxy.accessKey(), proxy.secretKey())))
        .build();
  }

  private Path artifact(String name, long size, long seed) throws Exception {
    byte[] data = new byte[(int) size];
    new Random(seed).nextBytes(data);
    return Files.write(dir.resolve(name), data);
  }

  private static String stored(S3Store store, String key) throws Exception {
    try (InputStream in = store.open(key).orElseThrow()) {
      Path copy = Files.createTempFile("s3", ".bin");
      Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return BackupRepository.sha256(copy);
    }
  }

  @Test
  void aLargeArtifactGoesUpInPartsAndComesBackWhole() throws Exception {
    S3Store store = store("multipart");
    Path file = artifact("big", 4 * PART + 12345, 1);
    String sha = BackupRepository.sha256(file);
    store.put("r/pg/base/1/base.tar.zst", file, sha);
    assertThat(stored(store, "r/pg/base/1/base.tar.zst")).isEqualTo(sha);
    assertThat(store.list("r/pg/base/1/"))
        .containsExactly(new ObjectStore.Entry("r/pg/base/1/base.tar.zst", 4 * PART + 12345));
    // no unfinished upload, no marker left
    assertThat(store.list(".uploads/")).isEmpty();
    try (S3Client s3 = client()) {
      assertThat(s3.listMultipartUploads(r -> r.bucket("multipart")).uploads()).isEmpty();
    }
  }

  @Test
  void anUnfinishedUploadIsResumedAndOneOfOtherContentAborted() throws Exception {
    S3Store store = store("resume");
    Path file = artifact("big", 3 * PART + 99, 2);
    String sha = BackupRepository.sha256(file);
    String key = "r/pg/base/2/base.tar.zst";
    try (S3Client s3 = client()) {
      // a previous attempt: the upload started, its first part sent, then the service died
      String upload = s3.createMultipartUpload(r -> r.bucket("resume").key(key)).uploadId();
      byte[] first = java.util.Arrays.copyOf(Files.readAllBytes(file), (int) PART);
      s3.uploadPart(
          r -> r.bucket("resume").key(key).uploadId(upload).partNumber(1),
          RequestBody.fromBytes(first));
      store.put(".uploads/" + key, (upload + " " + sha).getBytes());
      // and an older upload of other content under another key's marker
      String other = "r/pg/base/3/base.tar.zst";
      String stale = s3.createMultipartUpload(r -> r.bucket("resume").key(other)).uploadId();
      store.put(".uploads/" + other, (stale + " 00ff").getBytes());

      store.put(key, file, sha);
      assertThat(stored(store, key)).isEqualTo(sha);
      assertThat(
              s3.listMultipartUploads(r -> r.bucket("resume")).uploads().stream()
                  .map(u -> u.uploadId())
                  .toList())
          .as("the resumed upload was completed")
          .doesNotContain(upload);

      Path otherFile = artifact("other", 2 * PART + 1, 3);
      store.put(other, otherFile, BackupRepository.sha256(otherFile));
      assertThat(
              s3.listMultipartUploads(r -> r.bucket("resume")).uploads().stream()
                  .map(u -> u.uploadId())
                  .toList())
          .as("the stale upload was aborted")
          .doesNotContain(stale);
      assertThat(store.list(".uploads/")).isEmpty();
    }
  }

  @Test
  void listingsPagePastAThousandKeys() throws Exception {
    S3Store store = store("paging");
    for (int i = 0; i < 1105; i++) {
      store.put(String.format("r/etcd/%05d.json", i), new byte[] {1});
    }
    List<ObjectStore.Entry> all = store.list("r/etcd/");
    assertThat(all).hasSize(1105);
    assertThat(all.get(1104).key()).isEqualTo("r/etcd/01104.json");
  }

  @Test
  void aBigArtifactGoesUpInDefaultPartsAndComesBackWithItsSha256() throws Exception {
    long mb = Long.getLong("vigil.test.big-object-mb", 300);
    S3Store store =
        new S3Store(
            URI.create(proxy.endpoint()),
            "big",
            "",
            proxy.accessKey(),
            proxy.secretKey(),
            "us-east-1",
            dir.resolve("staging"));
    store.probe();
    // sparse, with a random block every 16 MiB so no two parts are alike
    Path file = dir.resolve("big-object");
    Random random = new Random(7);
    byte[] block = new byte[4096];
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(mb << 20);
      for (long at = 0; at < mb << 20; at += 16L << 20) {
        random.nextBytes(block);
        f.seek(at);
        f.write(block);
      }
    }
    String sha = BackupRepository.sha256(file);
    long t0 = System.nanoTime();
    store.put("r/pg/base/big/base.tar.zst", file, sha);
    double up = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    java.security.MessageDigest digest = BackupRepository.digest();
    long size;
    try (InputStream in =
        new java.security.DigestInputStream(
            store.open("r/pg/base/big/base.tar.zst").orElseThrow(), digest)) {
      size = in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    double down = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "S3 round trip of %,d MB in %d parts: up %.1f s (%.0f MB/s), down %.1f s (%.0f MB/s)%n",
        mb, (mb + 63) / 64, up, mb / up, down, mb / down);
    assertThat(size).isEqualTo(mb << 20);
    assertThat(java.util.HexFormat.of().formatHex(digest.digest())).isEqualTo(sha);
    store.delete("r/pg/base/big/base.tar.zst");
  }
}
