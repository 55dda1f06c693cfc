package io.vigil.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.backup.config.BackupConfig;
import io.vigil.topology.RegionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A filesystem backup repository, self-describing: every artifact has a JSON metadata file beside
 * it ({@link RecoveryPoint}) written last, so an artifact without metadata never counts.
 *
 * <pre>
 * {repo}/{region}/etcd/{id}.db          {repo}/{region}/etcd/{id}.json
 * {repo}/{region}/pg/base/{id}/base.tar.gz   {repo}/{region}/pg/base/{id}/backup.json
 * </pre>
 */
@ApplicationScoped
public class BackupRepository {

  private final Path root;
  private final String region;
  private final ObjectMapper json;

  BackupRepository(BackupConfig config, RegionConfig region, ObjectMapper json) {
    this.root = config.repository().path().toAbsolutePath();
    this.region = region.name();
    this.json = json;
  }

  /** The region's directory. */
  public Path regionDir() {
    return root.resolve(region);
  }

  /** A scratch directory inside the repository's file system (moves into place are atomic). */
  public Path staging(String id) {
    Path dir = root.resolve(".staging").resolve(id);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    return dir;
  }

  /** Where an artifact of {@code target} with {@code id} lives, relative to the region dir. */
  public static String artifactPath(String target, String id) {
    return target.equals("etcd") ? "etcd/" + id + ".db" : "pg/base/" + id + "/base.tar.gz";
  }

  private static String metadataPath(String target, String id) {
    return target.equals("etcd") ? "etcd/" + id + ".json" : "pg/base/" + id + "/backup.json";
  }

  /**
   * Moves a finished artifact into place, then writes its metadata (the point at which it counts).
   */
  public RecoveryPoint store(Path artifact, RecoveryPoint point) {
    Path target = regionDir().resolve(point.file());
    Path meta = regionDir().resolve(metadataPath(point.target(), point.id()));
    try {
      Files.createDirectories(target.getParent());
      Files.move(artifact, target, StandardCopyOption.ATOMIC_MOVE);
      Path tmp = meta.resolveSibling(meta.getFileName() + ".tmp");
      Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(point));
      try (var ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE);
      return point;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store " + point.file() + " in " + regionDir(), e);
    }
  }

  /** The recovery points of {@code target}, oldest first. */
  public List<RecoveryPoint> list(String target) {
    Path dir = regionDir().resolve(target.equals("etcd") ? "etcd" : "pg/base");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<RecoveryPoint> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir, 2)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        out.add(json.readValue(f.toFile(), RecoveryPoint.class));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the repository at " + dir, e);
    }
    out.sort(Comparator.comparing(RecoveryPoint::time));
    return out;
  }

  /**
   * Deletes a recovery point: its metadata first (from then on it does not count), then its
   * artifact.
   */
  public void delete(RecoveryPoint point) {
    try {
      Files.deleteIfExists(regionDir().resolve(metadataPath(point.target(), point.id())));
      Files.deleteIfExists(file(point));
      if (point.target().equals("postgres")) {
        Files.deleteIfExists(file(point).getParent());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + point.file(), e);
    }
  }

  /** The artifact file of a recovery point. */
  public Path file(RecoveryPoint point) {
    return regionDir().resolve(point.file());
  }

  /** Whether the artifact is present with the size and SHA-256 its metadata names. */
  public String check(RecoveryPoint point) {
    Path f = file(point);
    if (!Files.isRegularFile(f)) {
      return "missing: " + point.file();
    }
    try {
      long size = Files.size(f);
      if (size != point.size()) {
        return "size " + size + " instead of " + point.size() + ": " + point.file();
      }
      String sha = sha256(f);
      return sha.equals(point.sha256())
          ? null
          : "SHA-256 " + sha + " instead of " + point.sha256() + ": " + point.file();
    } catch (IOException e) {
      return "unreadable: " + point.file() + " (" + e.getMessage() + ")";
    }
  }

  /** SHA-256 of a file, hex. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes a directory tree (staging). */
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
