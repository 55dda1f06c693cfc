package io.vigil.backup.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.ObjectStore;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.postgres.WalPosition;
import io.vigil.commons.topology.RegionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Continuous WAL archiving on the backup leader: a supervised {@code pg_receivewal} streams the
 * primary's WAL into a local spool (flushing every write), and a shipper copies what arrives into
 * the repository — every completed segment and timeline history file with its metadata, and the
 * segment still being written every {@code partial-interval} while it changes, each copy under a
 * key of its own ({@link #partialId}) so that no stored artifact is ever overwritten: a reader, or
 * a copy into the other region cut short by the loss of this one, can never pair one copy's
 * metadata with another copy's bytes. The previous copy is deleted once the next one is stored,
 * every copy once the segment is complete. The primary is the Patroni leader read from etcd (or the
 * configured host); when it changes, or {@code pg_receivewal} stops, a new one is started against
 * the primary of the moment. A new leader first fetches the newest segment from the repository so
 * the stream resumes where the previous leader's stopped; when the primary no longer has that WAL,
 * the chain is broken and a base backup is requested at once.
 *
 * <p>{@link #durableAt()} is the PostgreSQL recovery point: the latest moment at which everything
 * the primary had flushed is known to be in the repository (the stream up, its source still the
 * primary, nothing unshipped).
 */
@ApplicationScoped
public class WalArchiver {

  private static final Logger LOG = Logger.getLogger(WalArchiver.class);
  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  private static final Pattern PARTIAL = Pattern.compile("[0-9A-F]{24}\\.partial");
  private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");
  private static final long SEGMENT_SIZE = 16L * 1024 * 1024;
  private static final int PAGE = 8192;

  private final BackupConfig config;
  private final BackupRepository repository;
  private final BackupLeader leader;
  private final PostgresSource primaries;
  private final RegionConfig region;
  private final ObjectMapper json;
  private final AtomicReference<Instant> durableAt = new AtomicReference<>();
  private volatile Instant chainStart = Instant.now();
  private final Set<String> shipped = new HashSet<>();
  private volatile Runnable onChainBroken = () -> {};
  private volatile boolean stopping;
  private Thread supervisor;

  private Process receiver;
  private List<String> receiverErrors = new ArrayList<>();
  private PatroniLeader source;
  private Instant sourceConfirmedAt = Instant.EPOCH;
  private Instant receiverStartedAt = Instant.EPOCH;

  /** A partial segment of the spool as last shipped: its mtime then, and the copy's id. */
  private record Shipped(FileTime mtime, String id) {}

  private final Map<String, Shipped> partialShipped = new java.util.HashMap<>();
  private Instant partialShippedAt = Instant.EPOCH;
  private Path spool;

  WalArchiver(
      BackupConfig config,
      BackupRepository repository,
      BackupLeader leader,
      PostgresSource primaries,
      RegionConfig region,
      ObjectMapper json) {
    this.config = config;
    this.repository = repository;
    this.leader = leader;
    this.primaries = primaries;
    this.region = region;
    this.json = json;
  }

  /** Whether WAL is archived here: a PostgreSQL server configured and archiving on. */
  public boolean enabled() {
    return config.wal().enabled() && config.postgres().host().isPresent();
  }

  /** What to do when the WAL chain breaks (a base backup, so recovery can start after it). */
  public void onChainBroken(Runnable action) {
    this.onChainBroken = action;
  }

  /** The newest moment whose WAL is all in the repository; empty before the stream is up. */
  public Optional<Instant> durableAt() {
    return Optional.ofNullable(durableAt.get());
  }

  /**
   * Since when the archived WAL is unbroken as far as this instance knows: the start of its own
   * stream, or the beginning when it resumed the repository's chain. A base backup at or after it
   * can be replayed up to {@link #durableAt}.
   */
  public Instant chainStart() {
    return chainStart;
  }

  /** Whether {@code pg_receivewal} is running here now. */
  public boolean streaming() {
    Process p = receiver;
    return p != null && p.isAlive();
  }

  void onStart(@Observes StartupEvent event) {
    if (!enabled()) {
      return;
    }
    // one spool per instance: instances of a region may share a machine
    spool =
        config
            .wal()
            .spool()
            .toAbsolutePath()
            .resolve(region.name() + "-" + region.instanceId().orElse(region.zone()));
    supervisor = Thread.ofPlatform().name("wal-archiver").daemon().start(this::supervise);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
    if (supervisor != null) {
      supervisor.interrupt();
      try {
        supervisor.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopReceiver();
  }

  private void supervise() {
    boolean leading = false;
    Instant nextLeaderCheck = Instant.EPOCH;
    Instant nextStart = Instant.EPOCH;
    while (!stopping) {
      try {
        if (!leader.leader()) {
          if (leading) {
            LOG.info("No longer the backup leader: WAL streaming stops here");
            stopReceiver();
            leading = false;
          }
          Thread.sleep(200);
          continue;
        }
        if (!leading) {
          // the repository is the truth: what another leader archived since is not in this spool
          clearSpool();
          leading = true;
        }
        Instant now = Instant.now();
        if (!now.isBefore(nextLeaderCheck)) {
          nextLeaderCheck = now.plusSeconds(1);
          Optional<PatroniLeader> primary = primaries.primary();
          if (primary.isPresent() && receiver != null && primary.get().equals(source)) {
            sourceConfirmedAt = now;
          } else if (primary.isPresent() && receiver != null && receiver.isAlive()) {
            LOG.infof(
                "PostgreSQL primary is now %s (%s:%d): WAL streaming follows it",
                primary.get().member(), primary.get().host(), primary.get().port());
            stopReceiver();
          }
          if ((receiver == null || !receiver.isAlive())
              && primary.isPresent()
              && !now.isBefore(nextStart)) {
            if (receiver != null) {
              exited();
            }
            start(primary.get());
            nextStart = Instant.now().plus(config.wal().restartDelay());
          }
        }
        ship();
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        LOG.warnf("WAL archiving: %s", e.toString());
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private void start(PatroniLeader primary) throws IOException {
    Files.createDirectories(spool);
    if (!hasSegment() && !seed()) {
      chainStart = Instant.now(); // a new chain: only base backups taken from now on reach it
    }
    Path bin = Tools.postgresBin(config.postgres().binDir());
    ProcessBuilder b =
        new ProcessBuilder(
            bin.resolve("pg_receivewal").toString(),
            "--directory=" + spool,
            "--host=" + primary.host(),
            "--port=" + primary.port(),
            "--username=" + config.postgres().user(),
            "--no-password",
            "--no-loop",
            "--synchronous",
            "--status-interval=1",
            "--verbose");
    config.postgres().password().ifPresent(p -> b.environment().put("PGPASSWORD", p));
    b.environment().put("PGCONNECT_TIMEOUT", "5");
    b.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = b.start();
    List<String> errors = new ArrayList<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (var in = p.errorReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                  synchronized (errors) {
                    errors.add(line);
                    if (errors.size() > 20) {
                      errors.remove(0);
                    }
                  }
                  LOG.debugf("pg_receivewal: %s", line);
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    receiver = p;
    receiverErrors = errors;
    source = primary;
    receiverStartedAt = Instant.now();
    sourceConfirmedAt = receiverStartedAt;
    LOG.infof(
        "Streaming WAL from %s (%s:%d) into %s",
        primary.member(), primary.host(), primary.port(), repository.store().describe());
  }

  /** pg_receivewal stopped: say why, and start over from the server's position if WAL is gone. */
  private void exited() throws IOException {
    String errors;
    synchronized (receiverErrors) {
      errors = String.join(" / ", receiverErrors);
    }
    int code = receiver.exitValue();
    receiver = null;
    LOG.warnf("pg_receivewal exited with %d: %s", code, errors);
    if (errors.contains("has already been removed")
        || errors.contains("not in this server's history")
        || errors.contains("could not find")
        || errors.contains("starting timeline")) {
      LOG.errorf(
          "The WAL chain is broken (the primary no longer has the WAL after the newest archived"
              + " segment): streaming restarts from the primary's position and a base backup is"
              + " taken now");
      clearSpool();
      onChainBroken.run();
    }
  }

  private void clearSpool() throws IOException {
    Files.createDirectories(spool);
    try (Stream<Path> files = Files.list(spool)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    shipped.clear();
    partialShipped.clear();
  }

  private void stopReceiver() {
    Process p = receiver;
    receiver = null;
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private boolean hasSegment() throws IOException {
    try (Stream<Path> files = Files.list(spool)) {
      return files.anyMatch(
          f -> {
            String n = f.getFileName().toString();
            return SEGMENT.matcher(n).matches() || PARTIAL.matcher(n).matches();
          });
    }
  }

  /** Puts the newest archived segment into the empty spool, so the stream resumes after it. */
  private boolean seed() throws IOException {
    Optional<RecoveryPoint> newest =
        repository.list(BackupRepository.WAL).stream()
            .filter(p -> !p.id().endsWith(".history"))
            .max(
                Comparator.comparing((RecoveryPoint p) -> position(p.id()))
                    .thenComparing(NEWER_COPY));
    if (newest.isEmpty()) {
      return false;
    }
    String id = newest.get().id();
    String name = id.endsWith(".partial") ? walFile(id) + ".partial" : id;
    Path tmp = spool.resolve("." + name + ".tmp");
    repository.download(newest.get(), tmp);
    padSegment(tmp); // pg_receivewal resumes only from a full-size partial segment
    Files.move(tmp, spool.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    shipped.add(name);
    if (id.endsWith(".partial")) {
      partialShipped.put(name, new Shipped(null, id)); // replaced by the next copy shipped
    }
    LOG.infof("WAL streaming resumes after the archived segment %s", id);
    chainStart = Instant.EPOCH;
    return true;
  }

  /**
   * The repository id of the copy of the partial segment {@code segment} shipped at {@code time}.
   */
  static String partialId(String segment, Instant time) {
    return segment + "." + time.toEpochMilli() + ".partial";
  }

  /** The WAL file an archived id restores as: the segment of a partial copy, else the id itself. */
  public static String walFile(String id) {
    return id.endsWith(".partial") ? id.substring(0, 24) : id;
  }

  /**
   * Orders archived copies of the same WAL file, the one to restore last: a complete segment over
   * any partial copy, then the partial copy with more WAL, then the later one.
   */
  public static final Comparator<RecoveryPoint> NEWER_COPY =
      Comparator.comparing((RecoveryPoint p) -> p.id().endsWith(".partial") ? 0 : 1)
          .thenComparingLong(RecoveryPoint::size)
          .thenComparing(RecoveryPoint::time);

  /** Deletes every archived partial copy of {@code segment} (it is complete now). */
  private void deletePartialCopies(String segment) throws IOException {
    String prefix =
        region.name() + "/" + BackupRepository.artifactPath(BackupRepository.WAL, segment) + ".";
    for (ObjectStore.Entry e : repository.store().list(prefix)) {
      String id = name(e.key());
      if (id.endsWith(".partial")) {
        repository.delete(region.name(), BackupRepository.WAL, id);
      }
    }
  }

  private static String name(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /** Sort key of a segment name: log and segment number, then timeline. */
  private static String position(String name) {
    return name.substring(8, 24) + name.substring(0, 8);
  }

  /** Start LSN of a segment, e.g. {@code 0/3000000}. */
  static String startLsn(String segment) {
    long log = Long.parseLong(segment.substring(8, 16), 16);
    long seg = Long.parseLong(segment.substring(16, 24), 16);
    long lsn = (log << 32) + seg * SEGMENT_SIZE;
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }

  /** Copies what pg_receivewal wrote into the repository; advances {@link #durableAt}. */
  private void ship() throws IOException {
    if (spool == null || !Files.isDirectory(spool)) {
      return;
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
      if (SEGMENT.matcher(n).matches()) {
        complete.add(n);
      } else if (PARTIAL.matcher(n).matches()) {
        partials.add(n);
      } else if (HISTORY.matcher(n).matches() && !shipped.contains(n)) {
        store(f, n, Files.getLastModifiedTime(f).toInstant());
        shipped.add(n);
      }
    }
    complete.sort(Comparator.comparing(WalArchiver::position));
    partials.sort(Comparator.comparing(WalArchiver::position));
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
    // partials: the one being written every partial-interval; one a timeline switch left behind
    // (no longer written) at once, then it leaves the spool
    boolean upToDate = !complete.isEmpty() || !partials.isEmpty();
    for (int i = 0; i < partials.size(); i++) {
      String n = partials.get(i);
      boolean newest = i == partials.size() - 1;
      Path f = spool.resolve(n);
      FileTime mtime = Files.getLastModifiedTime(f);
      Shipped last = partialShipped.get(n);
      boolean changed = last == null || !mtime.equals(last.mtime());
      if (changed
          && (!newest
              || Duration.between(partialShippedAt, t0).compareTo(config.wal().partialInterval())
                  >= 0)) {
        String id = partialId(walFile(n), t0);
        store(f, id, t0);
        partialShipped.put(n, new Shipped(mtime, id));
        if (last != null) {
          repository.delete(region.name(), BackupRepository.WAL, last.id());
        }
        if (newest) {
          partialShippedAt = t0;
        }
        changed = false;
      }
      if (changed) {
        upToDate = false;
      } else if (!newest) {
        Files.deleteIfExists(f);
        partialShipped.remove(n);
      }
    }
    // durable up to t0 only while streaming from the primary of the moment, with all shipped
    if (upToDate && streaming() && Duration.between(receiverStartedAt, t0).toMillis() > 500) {
      Instant at = t0.isBefore(sourceConfirmedAt) ? t0 : sourceConfirmedAt;
      durableAt.accumulateAndGet(at, (a, b) -> a == null || b.isAfter(a) ? b : a);
    }
  }

  /**
   * Copies the written part of a partial segment: pg_receivewal pre-fills a segment with zeros, so
   * whole pages of zeros at the end are not WAL yet ({@link #padSegment} puts them back).
   */
  static void copyWritten(Path partial, Path to) throws IOException {
    try (java.nio.channels.FileChannel in =
            java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.READ);
        java.nio.channels.FileChannel out =
            java.nio.channels.FileChannel.open(
                to,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                java.nio.file.StandardOpenOption.WRITE)) {
      long end = in.size() - in.size() % PAGE;
      java.nio.ByteBuffer page = java.nio.ByteBuffer.allocate(PAGE);
      while (end > 0) {
        page.clear();
        in.read(page, end - PAGE);
        boolean zero = true;
        for (int i = 0; i < PAGE && zero; i++) {
          zero = page.get(i) == 0;
        }
        if (!zero) {
          break;
        }
        end -= PAGE;
      }
      long copied = 0;
      while (copied < end) {
        copied += in.transferTo(copied, end - copied, out);
      }
    }
  }

  private static final Pattern WALDUMP_ERROR =
      Pattern.compile("error in WAL record at ([0-9A-F]+/[0-9A-F]+): (.*)");
  private static final Pattern AT_LSN = Pattern.compile("at ([0-9A-F]+/[0-9A-F]+)");
  private static final Pattern AT_OFFSET = Pattern.compile("in log segment \\S+, offset (\\d+)");

  /**
   * The end of the valid WAL in a copy of a partial segment — where the next record would begin —
   * as {@code pg_waldump} finds it by reading every record and checking its CRC: a copy taken while
   * {@code pg_receivewal} writes may end in a torn page, which does not count. Null when no record
   * checks.
   */
  Long validEnd(Path copy, String segment, Path staging) throws IOException {
    Path dir = Files.createDirectories(staging.resolve("waldump"));
    Path file = dir.resolve(segment);
    Files.copy(copy, file, StandardCopyOption.REPLACE_EXISTING);
    padSegment(file);
    ProcessBuilder b =
        new ProcessBuilder(
                Tools.postgresBin(config.postgres().binDir()).resolve("pg_waldump").toString(),
                "--quiet",
                "--path=" + dir,
                segment)
            .redirectErrorStream(true);
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return null;
    }
    return validEnd(out, WalPosition.parseLsn(startLsn(segment)));
  }

  /**
   * Reads the end of the valid WAL from what {@code pg_waldump} said when it stopped: the position
   * its error names (the record it could not read begins where the last valid one ended), the page
   * whose header is not WAL, or — failing both — the start of the last valid record.
   */
  static Long validEnd(String waldump, long segmentStart) {
    java.util.regex.Matcher m = WALDUMP_ERROR.matcher(waldump);
    if (!m.find()) {
      return null;
    }
    java.util.regex.Matcher at = AT_LSN.matcher(m.group(2));
    if (at.find()) {
      return WalPosition.parseLsn(at.group(1));
    }
    java.util.regex.Matcher offset = AT_OFFSET.matcher(m.group(2));
    if (offset.find()) {
      return segmentStart + Long.parseLong(offset.group(1));
    }
    return WalPosition.parseLsn(m.group(1));
  }

  /** Extends a segment copied without its zero tail back to the segment size. */
  public static void padSegment(Path segment) throws IOException {
    if (Files.size(segment) < SEGMENT_SIZE) {
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(segment.toFile(), "rw")) {
        f.setLength(SEGMENT_SIZE);
      }
    }
  }

  private void store(Path file, String name, Instant time) throws IOException {
    Path staging = repository.staging("wal-" + name);
    try {
      Path tmp = staging.resolve(name);
      if (name.endsWith(".partial")) {
        copyWritten(file, tmp);
      } else {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      String sha = BackupRepository.sha256(tmp);
      long size = Files.size(tmp);
      boolean history = HISTORY.matcher(name).matches();
      String end = null;
      if (!history) {
        long start = WalPosition.parseLsn(startLsn(walFile(name)));
        Long valid =
            name.endsWith(".partial")
                ? validEnd(tmp, walFile(name), staging)
                : Long.valueOf(start + SEGMENT_SIZE);
        end = valid == null ? null : WalPosition.formatLsn(valid);
      }
      repository.store(
          tmp,
          new RecoveryPoint(
              BackupRepository.WAL,
              name,
              region.name(),
              BackupRepository.artifactPath(BackupRepository.WAL, name),
              size,
              sha,
              time,
              time,
              null,
              history ? null : startLsn(walFile(name)),
              end,
              Integer.parseInt(name.substring(0, 8), 16),
              "sha256"));
    } finally {
      BackupRepository.deleteTree(staging);
    }
  }
}
