package io.vigil.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifacts stored encrypted: the content is not in the stored bytes, reads back whole with the
 * key, and a missing key, a wrong key under the same id, changed or cut bytes are clear errors
 * before any content is returned; after a key rotation old and new artifacts both read back, and
 * plain artifacts of before encryption still read.
 */
class EncryptedRepositoryTest {

  @TempDir Path dir;

  private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());

  static String key(String id, long seed) {
    byte[] k = new byte[32];
    new Random(seed).nextBytes(k);
    return id + ":" + Base64.getEncoder().encodeToString(k);
  }

  private BackupRepository repository(String... keys) {
    return new BackupRepository(
        new FileStore(dir.resolve("repo")),
        "r",
        json,
        keys.length == 0 ? null : new ArtifactCipher(List.of(keys)));
  }

  /** An artifact of 2.5 chunks with a marker near its end; stored; answers its metadata. */
  private RecoveryPoint store(BackupRepository repo, String id, String marker) throws Exception {
    byte[] content = new byte[ArtifactCipher.CHUNK * 5 / 2];
    new Random(id.hashCode()).nextBytes(content);
    byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(m, 0, content, content.length - 1000, m.length);
    Path file = Files.createDirectories(dir.resolve("staging")).resolve(id);
    Files.write(file, content);
    Instant now = Instant.now();
    return repo.store(
        file,
        new RecoveryPoint(
            "etcd",
            id,
            "r",
            BackupRepository.artifactPath("etcd", id),
            content.length,
            BackupRepository.sha256(file),
            now,
            now,
            1L,
            null,
            null,
            null,
            "test",
            null));
  }

  private static byte[] read(BackupRepository repo, RecoveryPoint p) throws Exception {
    try (InputStream in = repo.open(p)) {
      return in.readAllBytes();
    }
  }

  private Path stored(RecoveryPoint p) {
    return dir.resolve("repo").resolve("r").resolve(p.file());
  }

  @Test
  void contentIsStoredEncryptedAndReadBackWhole() throws Exception {
    BackupRepository repo = repository(key("k1", 1));
    RecoveryPoint p = store(repo, "a1", "MARKER-personal-data");
    assertThat(p.encryption().keyId()).isEqualTo("k1");
    assertThat(p.encryption().format()).isEqualTo(ArtifactCipher.FORMAT);
    byte[] raw = Files.readAllBytes(stored(p));
    assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain("MARKER-personal-data");
    // the stored bytes are checked without the key
    assertThat(repo.check(p)).isNull();
    assertThat(BackupRepository.sha256(stored(p))).isEqualTo(p.sha256());
    byte[] content = read(repo, p);
    assertThat(content).hasSize((int) p.encryption().contentSize());
    assertThat(new String(content, StandardCharsets.ISO_8859_1)).contains("MARKER-personal-data");
    // the metadata in the repository names the key
    assertThat(repo.list("etcd").get(0).encryption().keyId()).isEqualTo("k1");
  }

  @Test
  void aMissingOrWrongKeyIsAClearErrorNamingIt() throws Exception {
    RecoveryPoint p = store(repository(key("k1", 1)), "a1", "MARKER");
    assertThatThrownBy(() -> repository(key("k2", 2)).open(p))
        .isInstanceOf(ArtifactCipher.KeyException.class)
        .hasMessageContaining("key 'k1'")
        .hasMessageContaining("lacks");
    assertThatThrownBy(() -> repository(key("k1", 99)).open(p))
        .isInstanceOf(ArtifactCipher.KeyException.class)
        .hasMessageContaining("does not decrypt with key 'k1'");
    assertThatThrownBy(() -> repository().open(p))
        .isInstanceOf(ArtifactCipher.KeyException.class)
        .hasMessageContaining("key 'k1'");
    assertThatThrownBy(() -> repository(key("k1", 99)).checkKey(p))
        .isInstanceOf(ArtifactCipher.KeyException.class);
  }

  @Test
  void changedOrCutBytesNeverReadBack() throws Exception {
    BackupRepository repo = repository(key("k1", 1));
    RecoveryPoint p = store(repo, "a1", "MARKER");
    try (RandomAccessFile f = new RandomAccessFile(stored(p).toFile(), "rw")) {
      f.seek(ArtifactCipher.CHUNK + 500);
      int b = f.read();
      f.seek(ArtifactCipher.CHUNK + 500);
      f.write(b ^ 1);
    }
    assertThat(repo.check(p)).startsWith("SHA-256");
    assertThatThrownBy(() -> read(repo, p)).isInstanceOf(java.io.IOException.class);

    // cut after the first chunk, metadata rewritten to match: authentication still fails
    RecoveryPoint q = store(repo, "a2", "MARKER");
    byte[] raw = Files.readAllBytes(stored(q));
    // the header ("VGE1", id length, "k1", chunk size, nonce prefix), then the first chunk only
    byte[] cut = java.util.Arrays.copyOf(raw, 4 + 1 + 2 + 4 + 7 + ArtifactCipher.CHUNK + 16);
    assertThat(cut.length).isLessThan(raw.length);
    ArtifactCipher cipher = new ArtifactCipher(List.of(key("k1", 1)));
    assertThatThrownBy(() -> cipher.decrypt(cut))
        .isInstanceOf(ArtifactCipher.KeyException.class)
        .hasMessageContaining("does not decrypt");
  }

  @Test
  void afterARotationOldAndNewArtifactsReadBackAndPlainOnesToo() throws Exception {
    RecoveryPoint plain = store(repository(), "a0", "PLAIN");
    assertThat(plain.encryption()).isNull();
    RecoveryPoint old = store(repository(key("k1", 1)), "a1", "OLD");
    BackupRepository rotated = repository(key("k2", 2), key("k1", 1));
    RecoveryPoint fresh = store(rotated, "a2", "NEW");
    assertThat(fresh.encryption().keyId()).isEqualTo("k2");
    assertThat(new String(read(rotated, old), StandardCharsets.ISO_8859_1)).contains("OLD");
    assertThat(new String(read(rotated, fresh), StandardCharsets.ISO_8859_1)).contains("NEW");
    assertThat(new String(read(rotated, plain), StandardCharsets.ISO_8859_1)).contains("PLAIN");
    assertThat(rotated.list("etcd"))
        .extracting(p -> p.encryption() == null ? "plain" : p.encryption().keyId())
        .containsExactlyInAnyOrder("plain", "k1", "k2");
  }

  @Test
  void badKeysAreRefusedAtStart() {
    assertThatThrownBy(() -> new ArtifactCipher(List.of("k1:c2hvcnQ=")))
        .hasMessageContaining("id:base64 of 32 bytes");
    assertThatThrownBy(() -> new ArtifactCipher(List.of("no-colon")))
        .hasMessageContaining("id:base64 of 32 bytes");
  }
}
