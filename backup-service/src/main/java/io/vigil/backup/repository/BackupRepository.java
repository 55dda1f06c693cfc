package io.vigil.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.backup.config.BackupConfig;
import io.vigil.commons.topology.RegionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The backup repository, self-describing: every artifact has a JSON metadata object beside it
 * ({@link RecoveryPoint}) written last, so an artifact without metadata never counts. Kept in an
 * {@link ObjectStore} (a directory or an S3 bucket), one tree per region:
 *
 * <pre>
 * {region}/etcd/{id}.db                     {region}/etcd/{id}.json
 * {region}/pg/base/{id}/base.tar.zst        {region}/pg/base/{id}/backup.json
 * {region}/pg/wal/{timeline}/{segment}      {region}/pg/wal/{timeline}/{segment}.json
 * </pre>
 *
 * The WAL segment being written is kept as {@code {segment}.{millis}.partial}, a key per copy,
 * until it is complete. Artifacts are never overwritten with other content.
 */
@ApplicationScoped
public class BackupRepository {

  /** Target name of WAL segments in the metadata. */
  public static final String WAL = "wal";

  private final ObjectStore store;
  private final String region;
  private final ObjectMapper json;
  private final ArtifactCipher cipher;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> deletions = new CopyOnWriteArrayList<>();

  @Inject
  BackupRepository(BackupConfig config, RegionConfig region, ObjectMapper json) {
    this(
        open(config.repository().path(), config.repository().s3(), config),
        region.name(),
        json,
        config.encryption().keys().map(ArtifactCipher::new).orElse(null));
  }

  /** A repository over {@code store} whose own region is {@code region}, storing plain. */
  public BackupRepository(ObjectStore store, String region, ObjectMapper json) {
    this(store, region, json, null);
  }

  /**
   * A repository over {@code store} whose own region is {@code region}; with a {@code cipher},
   * every artifact is stored encrypted and read back decrypted (plain ones are still read).
   */
  public BackupRepository(
      ObjectStore store, String region, ObjectMapper json, ArtifactCipher cipher) {
    this.store = store;
    this.region = region;
    this.json = json;
    this.cipher = cipher;
  }

  /** The store of a directory or, when given, a bucket. */
  public static ObjectStore open(Path path, Optional<BackupConfig.S3> s3, BackupConfig config) {
    if (s3.isPresent()) {
      BackupConfig.S3 b = s3.get();
      URI endpoint = b.endpoint();
      return new S3Store(
          endpoint,
          b.bucket(),
          b.prefix().orElse(""),
          b.accessKey(),
          b.secretKey(),
          b.region().orElse("us-east-1"),
          config.repository().staging());
    }
    return new FileStore(path);
  }

  /** The region this service backs up. */
  public String region() {
    return region;
  }

  /** The store the repository lives in. */
  public ObjectStore store() {
    return store;
  }

  /** Called with every key stored (artifact first, metadata last), e.g. to copy it elsewhere. */
  public void onStored(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Called with every key deleted (metadata first, then the artifact). */
  public void onDeleted(Consumer<String> listener) {
    deletions.add(listener);
  }

  /** A local scratch directory (on the repository's file system for a directory repository). */
  public Path staging(String id) {
    try {
      return store.staging(id);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a staging directory for " + id, e);
    }
  }

  /** Where an artifact of {@code target} with {@code id} lives, relative to the region's tree. */
  public static String artifactPath(String target, String id) {
    return switch (target) {
      case "etcd" -> "etcd/" + id + ".db";
      case WAL -> "pg/wal/" + id.substring(0, 8) + "/" + id;
      default -> "pg/base/" + id + "/base.tar.zst";
    };
  }

  /** The metadata key of an artifact, relative to the region's tree. */
  public static String metadataPath(String target, String id) {
    return switch (target) {
      case "etcd" -> "etcd/" + id + ".json";
      case WAL -> artifactPath(WAL, id) + ".json";
      default -> "pg/base/" + id + "/backup.json";
    };
  }

  private static String listPrefix(String target) {
    return switch (target) {
      case "etcd" -> "etcd/";
      case WAL -> "pg/wal/";
      default -> "pg/base/";
    };
  }

  /**
   * Stores a finished artifact (the file is consumed), encrypted when the repository has keys, then
   * its metadata: then it counts. {@code point} describes the plain artifact; what is stored names
   * the stored bytes (and, encrypted, the content's size and SHA-256 besides).
   */
  public RecoveryPoint store(Path artifact, RecoveryPoint point) {
    if (cipher == null) {
      return put(artifact, point);
    }
    try (InputStream in = Files.newInputStream(artifact)) {
      Path sealed = artifact.resolveSibling(artifact.getFileName() + ".vge");
      return put(sealed, write(in, sealed, point));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot store " + point.file() + " in " + store.describe() + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(artifact);
      } catch (IOException ignored) {
        // staging is deleted as a whole by the caller
      }
    }
  }

  /**
   * Writes an artifact whose content is read from a stream (a packing pipeline) to {@code scratch}
   * in one pass, as it will be stored: encrypted when the repository has keys, digested before and
   * after. Answers {@code point} with the sizes and SHA-256s measured; {@link #put} stores it.
   */
  public RecoveryPoint write(InputStream content, Path scratch, RecoveryPoint point)
      throws IOException {
    MessageDigest contentDigest = digest();
    MessageDigest storedDigest = digest();
    long[] contentSize = {0};
    String keyId = null;
    try (InputStream in =
            new DigestInputStream(content, contentDigest) {
              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                contentSize[0] += Math.max(n, 0);
                return n;
              }

              @Override
              public int read() throws IOException {
                int b = super.read();
                contentSize[0] += b < 0 ? 0 : 1;
                return b;
              }
            };
        OutputStream out =
            new java.security.DigestOutputStream(
                new java.io.BufferedOutputStream(Files.newOutputStream(scratch), 1 << 16),
                storedDigest)) {
      if (cipher != null) {
        keyId = cipher.encrypt(in, out);
      } else {
        in.transferTo(out);
      }
    }
    long storedSize = Files.size(scratch);
    String contentSha = HexFormat.of().formatHex(contentDigest.digest());
    String storedSha = HexFormat.of().formatHex(storedDigest.digest());
    return keyId == null
        ? point.sized(storedSize, storedSha)
        : point.sized(contentSize[0], contentSha).encrypted(keyId, storedSize, storedSha);
  }

  /**
   * Stores an artifact exactly as it is (the file is consumed), then its metadata: then it counts.
   */
  public RecoveryPoint put(Path artifact, RecoveryPoint point) {
    String key = point.region() + "/" + point.file();
    String meta = point.region() + "/" + metadataPath(point.target(), point.id());
    try {
      store.put(key, artifact, point.sha256());
      store.put(meta, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(point));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot store " + point.file() + " in " + store.describe() + ": " + e.getMessage(), e);
    }
    listeners.forEach(l -> l.accept(key));
    listeners.forEach(l -> l.accept(meta));
    return point;
  }

  /** The recovery points of {@code target} in this region, oldest first. */
  public List<RecoveryPoint> list(String target) {
    return list(region, target);
  }

  /** The recovery points of {@code target} that {@code fromRegion} stored here, oldest first. */
  public List<RecoveryPoint> list(String fromRegion, String target) {
    List<RecoveryPoint> out = new ArrayList<>();
    try {
      for (ObjectStore.Entry e : store.list(fromRegion + "/" + listPrefix(target))) {
        if (e.key().endsWith(".json")) {
          Optional<RecoveryPoint> p = read(e.key());
          p.ifPresent(out::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the repository at " + store.describe() + ": " + e.getMessage(), e);
    }
    out.sort(Comparator.comparing(RecoveryPoint::time));
    return out;
  }

  /** The metadata stored under {@code key}; empty when it is gone. */
  public Optional<RecoveryPoint> read(String key) throws IOException {
    Optional<InputStream> in = store.open(key);
    if (in.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream s = in.get()) {
      return Optional.of(json.readValue(s, RecoveryPoint.class));
    }
  }

  /** Deletes a recovery point: its metadata first (from then on it does not count), then it. */
  public void delete(RecoveryPoint point) {
    delete(point.region(), point.target(), point.id());
  }

  /** Deletes the recovery point {@code id} of {@code target} by its keys alone. */
  public void delete(String fromRegion, String target, String id) {
    try {
      String meta = fromRegion + "/" + metadataPath(target, id);
      store.delete(meta);
      deletions.forEach(l -> l.accept(meta));
      // a base backup is the objects of its directory (base.tar.zst, or base.tar.gz of before)
      List<String> files =
          target.equals("postgres")
              ? store.list(fromRegion + "/pg/base/" + id + "/").stream()
                  .map(ObjectStore.Entry::key)
                  .toList()
              : List.of(fromRegion + "/" + artifactPath(target, id));
      for (String file : files) {
        store.delete(file);
        deletions.forEach(l -> l.accept(file));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + id, e);
    }
  }

  /**
   * The artifact's content, decrypted when it is encrypted. The stored bytes are checked against
   * the metadata's size and SHA-256 and, encrypted, the content against its own, as the stream ends
   * ({@link Mismatch}); a missing or wrong key fails here, before any byte is read.
   */
  public InputStream open(RecoveryPoint point) throws IOException {
    InputStream stored =
        new Verifying(
            store
                .open(point.region() + "/" + point.file())
                .orElseThrow(
                    () -> new java.nio.file.NoSuchFileException(point.file(), null, "missing")),
            point.size(),
            point.sha256(),
            point.file());
    RecoveryPoint.Encryption e = point.encryption();
    if (e == null) {
      return stored;
    }
    if (cipher == null) {
      stored.close();
      throw new ArtifactCipher.KeyException(
          point.file()
              + " is encrypted with key '"
              + e.keyId()
              + "', and this service has no keys (vigil.backup.encryption.keys)");
    }
    try {
      return new Verifying(
          cipher.decrypt(stored, point.file()), e.contentSize(), e.contentSha256(), point.file());
    } catch (IOException failed) {
      stored.close();
      throw failed;
    }
  }

  /** Checks that an artifact can be read here: its key is present and right (the first chunk). */
  public void checkKey(RecoveryPoint point) throws IOException {
    if (point.encryption() != null) {
      open(point).close();
    }
  }

  /** Copies the artifact's content to {@code file}, checked on the way ({@link #open}). */
  public void download(RecoveryPoint point, Path file) throws IOException {
    try (InputStream in = open(point);
        OutputStream out = Files.newOutputStream(file)) {
      in.transferTo(out);
    }
  }

  /** What was read does not match the metadata: the artifact changed or is damaged. */
  public static final class Mismatch extends IOException {
    Mismatch(String message) {
      super(message);
    }
  }

  /** Counts and digests a stream; at its end, checks both against what the metadata says. */
  private static final class Verifying extends java.io.FilterInputStream {
    private final MessageDigest digest = digest();
    private final long size;
    private final String sha256;
    private final String name;
    private long read;
    private boolean checked;

    Verifying(InputStream in, long size, String sha256, String name) {
      super(in);
      this.size = size;
      this.sha256 = sha256;
      this.name = name;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b < 0) {
        verify();
      } else {
        digest.update((byte) b);
        read++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n < 0) {
        verify();
      } else {
        digest.update(b, off, n);
        read += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return super.skip(0);
    }

    private void verify() throws Mismatch {
      if (checked) {
        return;
      }
      checked = true;
      String sha = HexFormat.of().formatHex(digest.digest());
      if (read != size || !sha.equals(sha256)) {
        throw new Mismatch(
            "artifact "
                + name
                + " does not match its metadata: "
                + read
                + " bytes, SHA-256 "
                + sha
                + " (expected "
                + size
                + ", "
                + sha256
                + ")");
      }
    }
  }

  /** Null when the artifact is present with the size and SHA-256 its metadata names; else why. */
  public String check(RecoveryPoint point) {
    Optional<InputStream> in;
    try {
      in = store.open(point.region() + "/" + point.file());
    } catch (IOException e) {
      return "unreadable: " + point.file() + " (" + e.getMessage() + ")";
    }
    if (in.isEmpty()) {
      return "missing: " + point.file();
    }
    MessageDigest digest = digest();
    long size;
    try (InputStream s = new DigestInputStream(in.get(), digest)) {
      size = s.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      return "unreadable: " + point.file() + " (" + e.getMessage() + ")";
    }
    if (size != point.size()) {
      return "size " + size + " instead of " + point.size() + ": " + point.file();
    }
    String sha = HexFormat.of().formatHex(digest.digest());
    return sha.equals(point.sha256())
        ? null
        : "SHA-256 " + sha + " instead of " + point.sha256() + ": " + point.file();
  }

  /** SHA-256 of a file, hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest = digest();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** A SHA-256 digest. */
  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes a local directory tree (staging). */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
