package io.vigil.backup.service;

import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.ObjectStore;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.postgres.WalPosition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Copies what {@code pg_receivewal} writes into the spool into the repository: every completed
 * segment and timeline history file with its metadata, and the segment still being written every
 * {@code partialInterval} while it changes — only its written pages, its valid end checked by
 * {@code pg_waldump} — each copy under a key of its own ({@link WalSegments#partialId}) so that no
 * stored artifact is ever overwritten: a reader, or a copy into the other region cut short by the
 * loss of this one, can never pair one copy's metadata with another copy's bytes. The previous copy
 * is deleted once the next one is stored, every copy once the segment is complete.
 */
final class WalShipper {

  private static final Logger LOG = Logger.getLogger(WalShipper.class);

  /** A partial segment of the spool as last shipped: its mtime then, and the copy's id. */
  private record Shipped(FileTime mtime, String id) {}

  private final Path spool;
  private final BackupRepository repository;
  private final String region;
  private final Path postgresBin;
  private final Duration partialInterval;
  private final Set<String> shipped = new HashSet<>();
  private final Map<String, Shipped> partialShipped = new HashMap<>();
  private Instant partialShippedAt = Instant.EPOCH;

  WalShipper(
      Path spool,
      BackupRepository repository,
      String region,
      Path postgresBin,
      Duration partialInterval) {
    this.spool = spool;
    this.repository = repository;
    this.region = region;
    this.postgresBin = postgresBin;
    this.partialInterval = partialInterval;
  }

  /** Empties the spool: the repository is the truth, what another leader archived is not here. */
  void clear() throws IOException {
    Files.createDirectories(spool);
    try (Stream<Path> files = Files.list(spool)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    shipped.clear();
    partialShipped.clear();
  }

  /** Whether the spool holds a segment (complete or partial) to resume streaming after. */
  boolean hasSegment() throws IOException {
    Files.createDirectories(spool);
    try (Stream<Path> files = Files.list(spool)) {
      return files.anyMatch(
          f -> {
            String n = f.getFileName().toString();
            return WalSegments.SEGMENT.matcher(n).matches()
                || WalSegments.PARTIAL.matcher(n).matches();
          });
    }
  }

  /**
   * Puts the newest archived segment into the empty spool, so the stream resumes after it; false
   * when the repository has none.
   */
  boolean seed() throws IOException {
    Optional<RecoveryPoint> newest =
        repository.list(BackupRepository.WAL).stream()
            .filter(p -> !p.id().endsWith(".history"))
            .max(
                Comparator.comparing((RecoveryPoint p) -> WalSegments.position(p.id()))
                    .thenComparing(WalSegments.NEWER_COPY));
    if (newest.isEmpty()) {
      return false;
    }
    String id = newest.get().id();
    String name = id.endsWith(".partial") ? WalSegments.walFile(id) + ".partial" : id;
    Path tmp = spool.resolve("." + name + ".tmp");
    repository.download(newest.get(), tmp);
    WalSegments.padSegment(tmp); // pg_receivewal resumes only from a full-size partial segment
    Files.move(tmp, spool.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    shipped.add(name);
    if (id.endsWith(".partial")) {
      partialShipped.put(name, new Shipped(null, id)); // replaced by the next copy shipped
    }
    LOG.infof("WAL streaming resumes after the archived segment %s", id);
    return true;
  }

  /**
   * Ships what is new in the spool. Answers the moment everything the spool held then is in the
   * repository, or empty when something is left to ship.
   */
  Optional<Instant> ship() throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return shipOnce();
      } catch (NoSuchFileException e) {
        // pg_receivewal completed a segment between the listing and its copy (it renames
        // X.partial to X): list again at once and ship it as the complete segment it is. Failing
        // the turn instead kept the durable point still for as long as WAL came fast enough for
        // that to happen every turn (19 s of exposure after a 1 GB load, the backup bench).
        if (attempt == 3) {
          throw e;
        }
        LOG.debugf("%s left the spool while it was shipped: listing again", e.getFile());
      }
    }
  }

  private Optional<Instant> shipOnce() throws IOException {
    if (!Files.isDirectory(spool)) {
      return Optional.empty();
    }
    Instant t0 = Instant.now();
    List<Path> files;
    try (Stream<Path> s = Files.list(spool)) {
      files = s.sorted().toList();
    }
    List<String> complete = new ArrayList<>();
    List<String> partials = new ArrayList<>();
    for (Path f : files) {
      String n = f.getFileName().toString();
      if (WalSegments.SEGMENT.matcher(n).matches()) {
        complete.add(n);
      } else if (WalSegments.PARTIAL.matcher(n).matches()) {
        partials.add(n);
      } else if (WalSegments.HISTORY.matcher(n).matches() && !shipped.contains(n)) {
        store(f, n, Files.getLastModifiedTime(f).toInstant());
        shipped.add(n);
      }
    }
    complete.sort(Comparator.comparing(WalSegments::position));
    partials.sort(Comparator.comparing(WalSegments::position));
    for (String n : complete) {
      if (!shipped.contains(n)) {
        store(spool.resolve(n), n, Files.getLastModifiedTime(spool.resolve(n)).toInstant());
        shipped.add(n);
        // the partial copies of this segment are superseded
        deletePartialCopies(n);
        partialShipped.remove(n + ".partial");
      }
    }
    // keep the newest complete segment: pg_receivewal resumes after it
    for (int i = 0; i < complete.size() - 1; i++) {
      Files.deleteIfExists(spool.resolve(complete.get(i)));
    }
    boolean upToDate = !complete.isEmpty() || !partials.isEmpty();
    for (int i = 0; i < partials.size(); i++) {
      upToDate &= shipPartial(partials.get(i), i == partials.size() - 1, t0);
    }
    return upToDate ? Optional.of(t0) : Optional.empty();
  }

  /**
   * A partial segment: the one being written every partial interval; one a timeline switch left
   * behind (no longer written) at once, then it leaves the spool. Answers whether it is shipped as
   * it is now.
   */
  private boolean shipPartial(String n, boolean newest, Instant t0) throws IOException {
    Path f = spool.resolve(n);
    FileTime mtime = Files.getLastModifiedTime(f);
    Shipped last = partialShipped.get(n);
    boolean changed = last == null || !mtime.equals(last.mtime());
    if (changed
        && (!newest || Duration.between(partialShippedAt, t0).compareTo(partialInterval) >= 0)) {
      String id = WalSegments.partialId(WalSegments.walFile(n), t0);
      store(f, id, t0);
      partialShipped.put(n, new Shipped(mtime, id));
      if (last != null) {
        repository.delete(region, BackupRepository.WAL, last.id());
      }
      if (newest) {
        partialShippedAt = t0;
      }
      changed = false;
    }
    if (!changed && !newest) {
      Files.deleteIfExists(f);
      partialShipped.remove(n);
    }
    return !changed;
  }

  /** Deletes every archived partial copy of {@code segment} (it is complete now). */
  private void deletePartialCopies(String segment) throws IOException {
    String prefix =
        region + "/" + BackupRepository.artifactPath(BackupRepository.WAL, segment) + ".";
    for (ObjectStore.Entry e : repository.store().list(prefix)) {
      String id = e.key().substring(e.key().lastIndexOf('/') + 1);
      if (id.endsWith(".partial")) {
        repository.delete(region, BackupRepository.WAL, id);
      }
    }
  }

  private void store(Path file, String name, Instant time) throws IOException {
    Path staging = repository.staging("wal-" + name);
    try {
      Path tmp = staging.resolve(name);
      if (name.endsWith(".partial")) {
        WalSegments.copyWritten(file, tmp);
      } else {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      String sha = BackupRepository.sha256(tmp);
      long size = Files.size(tmp);
      boolean history = WalSegments.HISTORY.matcher(name).matches();
      String end = null;
      if (!history) {
        String segment = WalSegments.walFile(name);
        long start = WalPosition.parseLsn(WalSegments.startLsn(segment));
        Long valid =
            name.endsWith(".partial")
                ? validEnd(tmp, segment, staging)
                : Long.valueOf(start + WalSegments.SEGMENT_SIZE);
        end = valid == null ? null : WalPosition.formatLsn(valid);
      }
      repository.store(
          tmp,
          new RecoveryPoint(
              BackupRepository.WAL,
              name,
              region,
              BackupRepository.artifactPath(BackupRepository.WAL, name),
              size,
              sha,
              time,
              time,
              null,
              history ? null : WalSegments.startLsn(WalSegments.walFile(name)),
              end,
              Integer.parseInt(name.substring(0, 8), 16),
              "sha256",
              null));
    } finally {
      BackupRepository.deleteTree(staging);
    }
  }

  /**
   * The end of the valid WAL in a copy of a partial segment — where the next record would begin —
   * as {@code pg_waldump} finds it by reading every record and checking its CRC: a copy taken while
   * {@code pg_receivewal} writes may end in a torn page, which does not count. Null when no record
   * checks.
   */
  private Long validEnd(Path copy, String segment, Path staging) throws IOException {
    Path dir = Files.createDirectories(staging.resolve("waldump"));
    Path file = dir.resolve(segment);
    Files.copy(copy, file, StandardCopyOption.REPLACE_EXISTING);
    WalSegments.padSegment(file);
    Process p =
        new ProcessBuilder(
                postgresBin.resolve("pg_waldump").toString(), "--quiet", "--path=" + dir, segment)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return null;
    }
    return WalSegments.validEnd(out, WalPosition.parseLsn(WalSegments.startLsn(segment)));
  }
}
