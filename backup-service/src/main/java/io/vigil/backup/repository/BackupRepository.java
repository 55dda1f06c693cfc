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
 * {region}/pg/base/{id}/base.tar.gz         {region}/pg/base/{id}/backup.json
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
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> deletions = new CopyOnWriteArrayList<>();

  @Inject
  BackupRepository(BackupConfig config, RegionConfig region, ObjectMapper json) {
    this(open(config.repository().path(), config.repository().s3(), config), region.name(), json);
  }

  /** A repository over {@code store} whose own region is {@code region}. */
  public BackupRepository(ObjectStore store, String region, ObjectMapper json) {
    this.store = store;
    this.region = region;
    this.json = json;
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
      default -> "pg/base/" + id + "/base.tar.gz";
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

  /** Stores a finished artifact (the file is consumed), then its metadata: then it counts. */
  public RecoveryPoint store(Path artifact, RecoveryPoint point) {
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
      String file = fromRegion + "/" + artifactPath(target, id);
      store.delete(meta);
      store.delete(file);
      deletions.forEach(l -> l.accept(meta));
      deletions.forEach(l -> l.accept(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + id, e);
    }
  }

  /** The artifact's content. */
  public InputStream open(RecoveryPoint point) throws IOException {
    return store
        .open(point.region() + "/" + point.file())
        .orElseThrow(() -> new java.nio.file.NoSuchFileException(point.file(), null, "missing"));
  }

  /** Copies the artifact to {@code file}, checking its size and SHA-256 on the way. */
  public void download(RecoveryPoint point, Path file) throws IOException {
    MessageDigest digest = digest();
    try (InputStream in = new DigestInputStream(open(point), digest);
        OutputStream out = Files.newOutputStream(file)) {
      in.transferTo(out);
    }
    String sha = HexFormat.of().formatHex(digest.digest());
    long size = Files.size(file);
    if (size != point.size() || !sha.equals(point.sha256())) {
      throw new IOException(
          "artifact "
              + point.file()
              + " does not match its metadata: "
              + size
              + " bytes, SHA-256 "
              + sha);
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
