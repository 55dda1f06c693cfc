package io.vigil.backup.service;

import io.smallrye.faulttolerance.api.Guard;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.api.ApiException;
import io.vigil.process.Commands;
import io.vigil.process.Tools;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prepares a recovery point for a new region from the repository alone. Every artifact is checked
 * against its metadata (size, SHA-256) on the way out. PostgreSQL: a base backup unpacked and
 * checked with {@code pg_verifybackup}; for the latest point or a given time, the archived WAL
 * after it (all timelines, with their history files) is placed beside it and recovery configured
 * ({@code recovery.signal}, {@code restore_command}, {@code recovery_target_time}), so the server
 * replays up to that point when it starts, then promotes. etcd: a snapshot checked (its SHA-256
 * trailer) and placed for {@code etcdctl snapshot restore} with the new cluster's member names.
 * Starting the restored servers is the platform's part (the local region's {@code vigil}, or
 * Kubernetes).
 *
 * <p>Over 300 lines for now: choosing a recovery point and unpacking PostgreSQL (with its WAL) or
 * etcd; the backup-encryption issue rewrites these streams (decryption, parallel decompression) and
 * splits it then.
 */
@ApplicationScoped
public class RestoreService {

  /** Directory inside a restored data directory holding the WAL to replay. */
  public static final String WAL_DIR = ".vigil-wal";

  private static final Pattern COMMIT =
      Pattern.compile("desc: COMMIT (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) UTC");
  private static final DateTimeFormatter WALDUMP_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss[.SSSSSS][.SSSSS][.SSSS][.SSS][.SS][.S]");
  private static final DateTimeFormatter TARGET_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);

  /** A WAL copy deleted between listing and reading (superseded): list again, up to twice. */
  private final Guard supersededCopy =
      Guard.create()
          .withDescription("wal-fetch")
          .withRetry()
          .maxRetries(2)
          .delay(0, ChronoUnit.MILLIS)
          .retryOn(java.nio.file.NoSuchFileException.class)
          .done()
          .build();

  private final BackupRepository repository;
  private final BackupConfig config;

  RestoreService(BackupRepository repository, BackupConfig config) {
    this.repository = repository;
    this.config = config;
  }

  /**
   * What to restore.
   *
   * @param point the base backup or snapshot
   * @param replayWal whether archived WAL after a base backup is replayed
   * @param time replay up to this time (empty: to the end of the archived WAL)
   */
  public record Plan(RecoveryPoint point, boolean replayWal, Optional<Instant> time) {}

  /** What a restore did. */
  public record Restored(
      Plan plan, Path path, long bytes, int walSegments, String recoveryTarget, double seconds) {}

  /**
   * The window a target can be restored into, from its recovery points (oldest first) and, for
   * PostgreSQL, the archived WAL after them (oldest first; empty for etcd): from the oldest point
   * to the newest point or archived segment.
   */
  public static Optional<Instant[]> window(List<RecoveryPoint> points, List<RecoveryPoint> wal) {
    if (points.isEmpty()) {
      return Optional.empty();
    }
    Instant from = points.get(0).time();
    Instant to = points.get(points.size() - 1).time();
    if (!wal.isEmpty() && wal.get(wal.size() - 1).time().isAfter(to)) {
      to = wal.get(wal.size() - 1).time();
    }
    return Optional.of(new Instant[] {from, to});
  }

  /**
   * What to restore: a recovery point by id (as it was taken), the state at {@code time}, or the
   * newest state ({@code latest}, or neither given).
   */
  public Plan choose(
      String fromRegion, String target, Optional<String> id, Optional<Instant> time) {
    List<RecoveryPoint> points = repository.list(fromRegion, target);
    if (points.isEmpty()) {
      throw new ApiException(
          404,
          "no_recovery_point",
          "the repository has no " + target + " backup of region " + fromRegion);
    }
    boolean wal = target.equals("postgres");
    if (id.isPresent() && !id.get().equals("latest")) {
      RecoveryPoint p =
          points.stream()
              .filter(x -> x.id().equals(id.get()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ApiException(
                          404, "recovery_point_not_found", "no " + target + " backup " + id.get()));
      return new Plan(p, false, Optional.empty());
    }
    if (time.isPresent()) {
      List<RecoveryPoint> archived =
          wal ? repository.list(fromRegion, BackupRepository.WAL) : List.of();
      Instant[] window = window(points, archived).orElseThrow();
      if (time.get().isBefore(window[0]) || time.get().isAfter(window[1])) {
        throw new ApiException(
            400,
            "outside_recovery_window",
            time.get()
                + " is outside the "
                + target
                + " recovery window ["
                + window[0]
                + ", "
                + window[1]
                + "]");
      }
      RecoveryPoint chosen = points.get(0);
      for (RecoveryPoint p : points) {
        if (!p.time().isAfter(time.get())) {
          chosen = p;
        }
      }
      return new Plan(chosen, wal, wal ? time : Optional.empty());
    }
    return new Plan(points.get(points.size() - 1), wal, Optional.empty());
  }

  /** Restores per {@code plan} into {@code directory}, which must be absent or empty. */
  public Restored restore(Plan plan, Path directory) throws Exception {
    long t0 = System.nanoTime();
    RecoveryPoint point = plan.point();
    if (Files.exists(directory)) {
      try (Stream<Path> entries = Files.list(directory)) {
        if (entries.findAny().isPresent()) {
          throw new ApiException(409, "directory_not_empty", directory + " is not empty");
        }
      }
    }
    String problem = repository.check(point);
    if (problem != null) {
      throw new ApiException(
          409, "repository_corrupted", "backup " + point.id() + " failed verification: " + problem);
    }
    // a missing or wrong key is found before anything is written
    try {
      repository.checkKey(point);
    } catch (io.vigil.backup.repository.ArtifactCipher.KeyException e) {
      throw new ApiException(409, "backup_key_unavailable", e.getMessage());
    }
    boolean created = !Files.exists(directory);
    Files.createDirectories(directory);
    try {
      return restoreInto(plan, directory, t0);
    } catch (Exception failed) {
      // never a half-restored directory: what this restore wrote goes
      BackupRepository.deleteTree(directory);
      if (!created) {
        Files.createDirectories(directory);
      }
      throw failed;
    }
  }

  private Restored restoreInto(Plan plan, Path directory, long t0) throws Exception {
    RecoveryPoint point = plan.point();
    if (point.target().equals("etcd")) {
      Path result = directory.resolve("snapshot.db");
      repository.download(point, result);
      EtcdSnapshots.checkTrailer(result);
      return new Restored(
          plan,
          result,
          point.size(),
          0,
          "snapshot revision " + point.revision(),
          (System.nanoTime() - t0) / 1e9);
    }
    Path bin = Tools.postgresClientBin(config.postgres().binDir());
    unpack(point, directory);
    Commands.output(
        List.of(bin.resolve("pg_verifybackup").toString(), directory.toString()), Map.of(), null);
    // the source cluster's synchronous standbys do not exist where this restore starts: a commit
    // there must not wait for them
    Files.writeString(
        directory.resolve("postgresql.auto.conf"),
        "\n# written by vigil restore: no synchronous standby of the source cluster here\n"
            + "synchronous_standby_names = ''\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    int segments = 0;
    String target = "the base backup's consistent point " + point.endLsn();
    if (plan.replayWal()) {
      Path walDir = directory.resolve(WAL_DIR);
      segments = fetchWal(point, walDir);
      Optional<Instant> stopAt = plan.time().filter(t -> commitAfter(bin, walDir, t));
      StringBuilder conf = new StringBuilder("\n# written by vigil restore\n");
      conf.append("restore_command = 'cp \"").append(WAL_DIR).append("/%f\" \"%p\"'\n");
      conf.append("recovery_target_timeline = 'latest'\n");
      if (stopAt.isPresent()) {
        conf.append("recovery_target_time = '")
            .append(TARGET_TIME.format(stopAt.get()))
            .append("'\n");
        conf.append("recovery_target_action = 'promote'\n");
        target = "recovery_target_time " + stopAt.get();
      } else {
        target = "the end of the archived WAL";
      }
      Files.writeString(
          directory.resolve("postgresql.auto.conf"),
          conf.toString(),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      Files.writeString(directory.resolve("recovery.signal"), "");
    }
    return new Restored(
        plan, directory, point.size(), segments, target, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * The directory a caller asked to restore into, as a real path (symbolic links of its existing
   * part resolved), when it lies strictly inside the restore root; otherwise a 400.
   */
  public Path requestedDirectory(String requested) throws IOException {
    return insideRestoreRoot(config.restoreRoot(), Path.of(requested));
  }

  static Path insideRestoreRoot(Path root, Path directory) throws IOException {
    if (!directory.isAbsolute()) {
      throw new ApiException(
          400, "invalid_directory", "directory must be an absolute path: " + directory);
    }
    Files.createDirectories(root);
    Path realRoot = root.toRealPath();
    Path wanted = directory.normalize();
    Path existing = wanted;
    while (!Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    Path real;
    try {
      real = existing.toRealPath().resolve(existing.relativize(wanted));
    } catch (IOException e) {
      real = null; // a dangling link
    }
    if (real == null || !real.startsWith(realRoot) || real.equals(realRoot)) {
      throw new ApiException(
          400,
          "invalid_directory",
          "directory must be inside the restore root "
              + realRoot
              + " (vigil.backup.restore-root): "
              + directory);
    }
    return real;
  }

  /** Streams the base backup out of the repository through {@code tar}, checked on the way. */
  private void unpack(RecoveryPoint point, Path directory) throws Exception {
    InputStream content = repository.open(point);
    // zstd since base backups are packed in parallel; gzip for those of before
    String decompress = point.file().endsWith(".zst") ? "--zstd" : "--gzip";
    Process tar =
        new ProcessBuilder("tar", decompress, "-C", directory.toString(), "-xf", "-")
            .redirectErrorStream(true)
            .start();
    try (InputStream in = content;
        OutputStream out = tar.getOutputStream()) {
      in.transferTo(out);
    } catch (BackupRepository.Mismatch changed) {
      tar.destroy();
      throw new ApiException(
          409,
          "repository_corrupted",
          "backup " + point.id() + " changed while it was read: " + changed.getMessage());
    }
    String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (tar.waitFor() != 0) {
      throw new IOException("tar could not unpack " + point.file() + ": " + output.strip());
    }
  }

  /**
   * Copies the archived WAL a base backup needs into {@code walDir}: every history file and every
   * segment from the base backup's start on, on its timeline or a later one; of several copies of a
   * segment the newest ({@link WalArchiver#NEWER_COPY}). Returns the number of segments. A partial
   * copy superseded while it is read (the archiver deletes the previous one once the next is
   * stored) is fetched again from a new listing.
   */
  private int fetchWal(RecoveryPoint base, Path walDir) throws IOException {
    try {
      return supersededCopy.call(() -> fetchWalOnce(base, walDir), Integer.class);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  private int fetchWalOnce(RecoveryPoint base, Path walDir) throws IOException {
    Files.createDirectories(walDir);
    String startSegment = segmentOf(base.lsn());
    Map<String, RecoveryPoint> chosen = new LinkedHashMap<>();
    List<RecoveryPoint> wal = new ArrayList<>(repository.list(base.region(), BackupRepository.WAL));
    wal.sort(WalSegments.NEWER_COPY);
    for (RecoveryPoint p : wal) {
      String name = WalSegments.walFile(p.id());
      if (name.endsWith(".history")) {
        chosen.put(name, p);
        continue;
      }
      int timeline = Integer.parseInt(name.substring(0, 8), 16);
      if (timeline >= base.timeline() && name.substring(8).compareTo(startSegment) >= 0) {
        chosen.put(name, p); // newer copies come later and replace older ones
      }
    }
    int segments = 0;
    for (Map.Entry<String, RecoveryPoint> e : chosen.entrySet()) {
      repository.download(e.getValue(), walDir.resolve(e.getKey()));
      if (!e.getKey().endsWith(".history")) {
        WalSegments.padSegment(walDir.resolve(e.getKey())); // a partial is stored without its zeros
        segments++;
      }
    }
    return segments;
  }

  /** The log and segment part (16 hex digits) of the segment holding {@code lsn}. */
  static String segmentOf(String lsn) {
    String[] parts = lsn.split("/");
    long hi = Long.parseLong(parts[0], 16);
    long lo = Long.parseLong(parts[1], 16);
    return String.format("%08X%08X", hi, lo / (16L * 1024 * 1024));
  }

  /**
   * Whether the WAL holds a commit after {@code time}. Without one, PostgreSQL would stop with
   * "recovery ended before configured recovery target was reached"; the end of the WAL is then the
   * state at {@code time}.
   */
  private static boolean commitAfter(Path bin, Path walDir, Instant time) {
    List<Path> segments;
    try (Stream<Path> files = Files.list(walDir)) {
      segments =
          files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}")).sorted().toList();
    } catch (IOException e) {
      return true;
    }
    for (Path segment : segments) {
      ProcessBuilder b =
          new ProcessBuilder(
                  bin.resolve("pg_waldump").toString(),
                  "--path=" + walDir,
                  "--rmgr=Transaction",
                  segment.getFileName().toString())
              .redirectErrorStream(true);
      b.environment().put("TZ", "UTC");
      try {
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher m = COMMIT.matcher(out);
        while (m.find()) {
          Instant at = LocalDateTime.parse(m.group(1), WALDUMP_TIME).toInstant(ZoneOffset.UTC);
          if (at.isAfter(time)) {
            return true;
          }
        }
      } catch (IOException e) {
        return true; // let PostgreSQL judge
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }
    return false;
  }
}
