package io.vigil.backup.service;

import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Prepares a recovery point for a new region from the repository alone: the artifact is checked
 * against its metadata (size, SHA-256), then a PostgreSQL base backup is unpacked and checked with
 * {@code pg_verifybackup} into a data directory ready to start, and an etcd snapshot is checked
 * (its SHA-256 trailer) and placed for {@code etcdctl snapshot restore} with the new cluster's
 * member names. Starting the restored servers is the platform's part (the local region's {@code
 * vigil}, or Kubernetes).
 */
@ApplicationScoped
public class RestoreService {

  private final BackupRepository repository;
  private final BackupConfig config;

  RestoreService(BackupRepository repository, BackupConfig config) {
    this.repository = repository;
    this.config = config;
  }

  /** What a restore did. */
  public record Restored(RecoveryPoint from, Path path, long bytes, double seconds) {}

  /** A restore request that cannot be served, with the status it deserves. */
  public static final class RestoreException extends RuntimeException {
    private final int status;
    private final String code;

    RestoreException(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }

    /** HTTP status. */
    public int status() {
      return status;
    }

    /** Error code. */
    public String code() {
      return code;
    }
  }

  /**
   * The recovery point to restore: by id, the newest one at or before {@code time}, or the newest.
   */
  public RecoveryPoint choose(String target, Optional<String> id, Optional<Instant> time) {
    List<RecoveryPoint> points = repository.list(target);
    if (points.isEmpty()) {
      throw new RestoreException(
          404, "no_recovery_point", "the repository has no " + target + " backup");
    }
    if (id.isPresent() && !id.get().equals("latest")) {
      return points.stream()
          .filter(p -> p.id().equals(id.get()))
          .findFirst()
          .orElseThrow(
              () ->
                  new RestoreException(
                      404, "recovery_point_not_found", "no " + target + " backup " + id.get()));
    }
    if (time.isPresent()) {
      Instant from = points.get(0).time();
      Instant to = points.get(points.size() - 1).time();
      if (time.get().isBefore(from)) {
        throw new RestoreException(
            400,
            "outside_recovery_window",
            time.get()
                + " is outside the "
                + target
                + " recovery window ["
                + from
                + ", "
                + to
                + "]");
      }
      RecoveryPoint chosen = points.get(0);
      for (RecoveryPoint p : points) {
        if (!p.time().isAfter(time.get())) {
          chosen = p;
        }
      }
      return chosen;
    }
    return points.get(points.size() - 1);
  }

  /** Restores {@code point} into {@code directory}, which must be absent or empty. */
  public Restored restore(RecoveryPoint point, Path directory) throws Exception {
    long t0 = System.nanoTime();
    if (!directory.isAbsolute()) {
      throw new RestoreException(
          400, "invalid_directory", "directory must be an absolute path: " + directory);
    }
    if (Files.exists(directory)) {
      try (Stream<Path> entries = Files.list(directory)) {
        if (entries.findAny().isPresent()) {
          throw new RestoreException(409, "directory_not_empty", directory + " is not empty");
        }
      }
    }
    String problem = repository.check(point);
    if (problem != null) {
      throw new RestoreException(
          409, "repository_corrupted", "backup " + point.id() + " failed verification: " + problem);
    }
    Files.createDirectories(directory);
    Path artifact = repository.file(point);
    Path result;
    if (point.target().equals("etcd")) {
      result = directory.resolve("snapshot.db");
      Files.copy(artifact, result, StandardCopyOption.COPY_ATTRIBUTES);
      EtcdSnapshots.checkTrailer(result);
    } else {
      Path bin = Tools.postgresBin(config.postgres().binDir());
      Tools.run(
          List.of("tar", "-C", directory.toString(), "-xzf", artifact.toString()), Map.of(), null);
      Tools.run(
          List.of(bin.resolve("pg_verifybackup").toString(), directory.toString()), Map.of(), null);
      result = directory;
    }
    return new Restored(point, result, point.size(), (System.nanoTime() - t0) / 1e9);
  }
}
