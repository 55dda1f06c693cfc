package io.vigil.backup.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.process.Tools;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Continuous WAL archiving on the backup leader: supervises a {@link WalReceiver} ({@code
 * pg_receivewal} from the primary into a local spool) and a {@link WalShipper} (the spool into the
 * repository). The primary is the Patroni leader read from etcd (or the configured host); when it
 * changes, or {@code pg_receivewal} stops, a new one is started against the primary of the moment.
 * A new leader first fetches the newest segment from the repository so the stream resumes where the
 * previous leader's stopped; when the primary no longer has that WAL, the chain is broken and a
 * base backup is requested at once.
 *
 * <p>{@link #durableAt()} is the PostgreSQL recovery point: the latest moment at which everything
 * the primary had flushed is known to be in the repository (the stream up, its source still the
 * primary, nothing unshipped).
 */
@ApplicationScoped
public class WalArchiver {

  private static final Logger LOG = Logger.getLogger(WalArchiver.class);

  private final BackupConfig config;
  private final BackupRepository repository;
  private final BackupLeader leader;
  private final PostgresSource primaries;
  private final RegionConfig region;
  private final AtomicReference<Instant> durableAt = new AtomicReference<>();
  private volatile Instant chainStart = Instant.now();
  private volatile Runnable onChainBroken = () -> {};
  private final java.util.concurrent.atomic.AtomicLong chainBreaks =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile WalReceiver receiver;
  private Path spool;
  private WalShipper shipper;
  private Periodic supervisor;
  // the supervisor's own state, touched only by its thread
  private boolean leading;
  // after a broken chain: stream from the primary's position until the spool holds a segment,
  // never again from the archive's newest segment (the one the primary no longer has)
  private boolean fromPrimary;
  private Instant nextLeaderCheck = Instant.EPOCH;
  private Instant nextStart = Instant.EPOCH;

  WalArchiver(
      BackupConfig config,
      BackupRepository repository,
      BackupLeader leader,
      PostgresSource primaries,
      RegionConfig region) {
    this.config = config;
    this.repository = repository;
    this.leader = leader;
    this.primaries = primaries;
    this.region = region;
  }

  /** Whether WAL is archived here: a PostgreSQL server configured and archiving on. */
  public boolean enabled() {
    return config.wal().enabled() && config.postgres().host().isPresent();
  }

  /** What to do when the WAL chain breaks (a base backup, so recovery can start after it). */
  public void onChainBroken(Runnable action) {
    this.onChainBroken = action;
  }

  /** How often the WAL chain broke since start (the primary had removed WAL not yet archived). */
  public long chainBreaks() {
    return chainBreaks.get();
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

  /** The replication slot of the running stream, if any. */
  public Optional<String> slot() {
    WalReceiver r = receiver;
    return r != null && r.alive() ? r.slot() : Optional.empty();
  }

  /** Whether {@code pg_receivewal} is running here now. */
  public boolean streaming() {
    WalReceiver r = receiver;
    return r != null && r.alive();
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
    shipper =
        new WalShipper(
            spool,
            repository,
            region.name(),
            Tools.postgresClientBin(config.postgres().binDir()),
            config.wal().partialInterval());
    supervisor = Periodic.onThread("wal-archiver", Duration.ofMillis(200), this::supervise);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (supervisor != null) {
      supervisor.stop();
    }
    stopReceiver();
  }

  /** One turn of the supervisor (every 200 ms): follow leadership and the primary, ship. */
  private void supervise() throws IOException {
    if (!leader.leader()) {
      if (leading) {
        LOG.info("No longer the backup leader: WAL streaming stops here");
        stopReceiver();
        leading = false;
      }
      return;
    }
    if (!leading) {
      // the repository is the truth: what another leader archived since is not in this spool
      shipper.clear();
      leading = true;
    }
    Instant now = Instant.now();
    if (!now.isBefore(nextLeaderCheck)) {
      nextLeaderCheck = now.plusSeconds(1);
      if (followPrimary(now, !now.isBefore(nextStart))) {
        nextStart = Instant.now().plus(config.wal().restartDelay());
      }
    }
    shipper.ship().ifPresent(this::shipped);
  }

  /**
   * Keeps the stream on the primary of the moment: confirms it, stops a stream from a former
   * primary, and (when {@code mayStart}) starts one where none runs. Answers whether it started.
   */
  private boolean followPrimary(Instant now, boolean mayStart) throws IOException {
    Optional<PatroniLeader> primary = primaries.primary();
    WalReceiver r = receiver;
    if (primary.isPresent() && r != null && primary.get().equals(r.source())) {
      r.confirm(now);
    } else if (primary.isPresent() && r != null && r.alive()) {
      LOG.infof(
          "PostgreSQL primary is now %s (%s:%d): WAL streaming follows it",
          primary.get().member(), primary.get().host(), primary.get().port());
      stopReceiver();
    }
    r = receiver;
    if ((r != null && r.alive()) || primary.isEmpty() || !mayStart) {
      return false;
    }
    if (r != null) {
      exited(r);
    }
    if (shipper.hasSegment()) {
      fromPrimary = false;
    } else {
      if (!fromPrimary && shipper.seed()) {
        chainStart = Instant.EPOCH; // the repository's chain goes on
      } else {
        chainStart = Instant.now(); // a new chain: only base backups taken from now on reach it
      }
    }
    Optional<String> slot = slot(primary.get());
    receiver = WalReceiver.start(config.postgres(), slot, spool, primary.get());
    LOG.infof(
        "Streaming WAL from %s (%s:%d%s) into %s",
        primary.get().member(),
        primary.get().host(),
        primary.get().port(),
        slot.map(s -> ", slot " + s).orElse(""),
        repository.store().describe());
    return true;
  }

  /**
   * The replication slot the stream goes through, made sure of on {@code primary}: the primary then
   * keeps the WAL the stream has not flushed (up to its {@code max_slot_wal_keep_size}) while the
   * stream is down or behind. Empty, with a warning, when the primary will not keep one.
   */
  private Optional<String> slot(PatroniLeader primary) {
    String slot = config.wal().slot();
    Optional<String> failure = WalReceiver.ensureSlot(config.postgres(), slot, primary);
    failure.ifPresent(
        f ->
            LOG.warnf(
                "No replication slot %s on %s: WAL streaming goes without one, and the primary"
                    + " may remove WAL before it is archived (%s)",
                slot, primary.member(), f));
    return failure.isPresent() ? Optional.empty() : Optional.of(slot);
  }

  /** pg_receivewal stopped: say why, and start over from the server's position if WAL is gone. */
  private void exited(WalReceiver r) throws IOException {
    receiver = null;
    LOG.warnf("pg_receivewal %s", r.exit());
    if (r.chainBroken()) {
      LOG.errorf(
          "The WAL chain is broken (the primary no longer has the WAL after the newest archived"
              + " segment): streaming restarts from the primary's position and a base backup is"
              + " taken now");
      chainBreaks.incrementAndGet();
      // the slot's position is behind the removed WAL (the primary exceeded its
      // max_slot_wal_keep_size): a new one reserves from the primary's position
      r.slot()
          .flatMap(s -> WalReceiver.dropSlot(config.postgres(), s, r.source()))
          .ifPresent(f -> LOG.warnf("The replication slot was not dropped: %s", f));
      fromPrimary = true;
      shipper.clear();
      onChainBroken.run();
    }
  }

  /** Everything the spool held at {@code t0} is in the repository. */
  private void shipped(Instant t0) {
    // durable up to t0 only while streaming from the primary of the moment
    WalReceiver r = receiver;
    if (r != null && r.alive() && Duration.between(r.startedAt(), t0).toMillis() > 500) {
      Instant at = t0.isBefore(r.confirmedAt()) ? t0 : r.confirmedAt();
      durableAt.accumulateAndGet(at, (a, b) -> a == null || b.isAfter(a) ? b : a);
    }
  }

  private void stopReceiver() {
    WalReceiver r = receiver;
    receiver = null;
    if (r != null) {
      r.stop();
    }
  }
}
