package io.vigil.backup.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.metrics.OwnedGauges;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Runs backups one at a time: on the leader's schedule (a target is due when its newest recovery
 * point is older than its interval, so a new leader re-runs a backup its predecessor did not
 * finish) or on request. Keeps the running backup's progress and each target's last outcome, and
 * publishes the RPO exposure of every target.
 *
 * <p>Over 300 lines for now: scheduling, running and reporting the backups of both targets; the
 * backup-encryption issue rewrites the artifact streams (encryption, parallel compression) and
 * splits it then.
 */
@ApplicationScoped
public class BackupService {

  private static final Logger LOG = Logger.getLogger(BackupService.class);
  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** The targets a backup can be taken of. */
  public static final List<String> TARGETS = List.of("postgres", "etcd");

  private final BackupConfig config;
  private final BackupRepository repository;
  private final PostgresBaseBackups postgres;
  private final EtcdSnapshots etcd;
  private final BackupLeader leader;
  private final MeterRegistry metrics;
  private final Vertx vertx;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().name("backup-worker").factory());
  private final AtomicReference<Progress> running = new AtomicReference<>();
  private final Map<String, Outcome> last = new ConcurrentHashMap<>();

  /** The newest artifact of each target (what the schedule goes by). */
  private final Map<String, Instant> newest = new ConcurrentHashMap<>();

  /**
   * The newest durable recovery point of each target (what the RPO goes by): the newest artifact,
   * or for PostgreSQL the archived WAL when later; shared through etcd by the leader.
   */
  private final Map<String, Instant> durable = new ConcurrentHashMap<>();

  private final Map<String, Instant> published = new ConcurrentHashMap<>();
  private final WalArchiver wal;
  private final OwnedGauges gauges;
  private final EtcdGateway gateway;
  private final RegionConfig region;
  private Periodic timer;

  /** The last outcome of a target's backup. */
  public record Outcome(String id, boolean succeeded, String detail, Instant at, double seconds) {}

  BackupService(
      BackupConfig config,
      BackupRepository repository,
      PostgresBaseBackups postgres,
      EtcdSnapshots etcd,
      BackupLeader leader,
      WalArchiver wal,
      EtcdGateway gateway,
      RegionConfig region,
      MeterRegistry metrics,
      Vertx vertx) {
    this.gateway = gateway;
    this.wal = wal;
    this.region = region;
    this.config = config;
    this.repository = repository;
    this.postgres = postgres;
    this.etcd = etcd;
    this.leader = leader;
    this.metrics = metrics;
    this.vertx = vertx;
    this.gauges = new OwnedGauges(metrics);
  }

  void onStart(@Observes StartupEvent event) {
    // gauges only for the targets this instance backs up: alerts must not fire for the others
    for (String target : TARGETS.stream().filter(this::enabled).toList()) {
      Tags tags = Tags.of("target", target);
      gauges.gauge(
          "vigil.backup.rpo.exposure.seconds",
          tags,
          "now minus the newest recovery point (NaN before the first)",
          () -> exposure(target).map(d -> d.toMillis() / 1000.0).orElse(Double.NaN));
      gauges.gauge(
          "vigil.backup.rpo.objective.seconds",
          tags,
          "the recovery point objective",
          () -> objective(target).toMillis() / 1000.0);
      gauges.gauge(
          "vigil.backup.last.success.timestamp.seconds",
          tags,
          "time of the newest recovery point (0 before the first)",
          () -> Optional.ofNullable(newest.get(target)).map(Instant::getEpochSecond).orElse(0L));
    }
    gauges.gauge(
        "vigil.backup.leader",
        Tags.empty(),
        "1 on the backup leader",
        () -> leader.leader() ? 1 : 0);
    // a broken WAL chain needs a base backup to recover from: due at once
    io.micrometer.core.instrument.Counter chainBreaks =
        io.micrometer.core.instrument.Counter.builder("vigil.backup.wal.chain.breaks")
            .description(
                "times the primary had removed WAL not yet archived (a base backup follows)")
            .register(metrics);
    wal.onChainBroken(
        () -> {
          newest.remove("postgres");
          chainBreaks.increment();
        });
    worker.execute(this::refreshNewest);
    timer = Periodic.onEventLoop(vertx, config.schedule().tick(), this::tick);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
    gauges.close();
    worker.shutdownNow();
  }

  /** Whether the target is configured here. */
  public boolean enabled(String target) {
    return target.equals("postgres") ? postgres.enabled() : etcd.enabled();
  }

  /** The RPO of a target. */
  public Duration objective(String target) {
    return target.equals("postgres") ? config.rpo().postgres() : config.rpo().etcd();
  }

  /** Now minus the newest recovery point of the target; empty when there is none. */
  public Optional<Duration> exposure(String target) {
    return recoveryPoint(target).map(t -> Duration.between(t, Instant.now()));
  }

  /** The newest durable recovery point of {@code target}. */
  public Optional<Instant> recoveryPoint(String target) {
    Instant base = newest.get(target);
    Instant at = latest(base, durable.get(target));
    if (target.equals("postgres") && base != null && !base.isBefore(wal.chainStart())) {
      // archived WAL counts once a base backup it can be replayed from exists
      at = latest(at, wal.durableAt().orElse(null));
    }
    return Optional.ofNullable(at);
  }

  private static Instant latest(Instant a, Instant b) {
    return a == null ? b : b == null || a.isAfter(b) ? a : b;
  }

  /**
   * The leader publishes each target's recovery point in etcd; the other instances read it, so all
   * report the same exposure.
   */
  private void shareRecoveryPoints(boolean leading) {
    if (!gateway.enabled()) {
      return;
    }
    if (leading) {
      for (String target : TARGETS) {
        Optional<Instant> at = recoveryPoint(target);
        if (enabled(target) && at.isPresent() && !at.get().equals(published.get(target))) {
          published.put(target, at.get());
          gateway
              .put(TopologyKeys.backupNewest(region.name(), target), at.get().toString(), 0)
              .subscribe()
              .with(v -> {}, f -> published.remove(target));
        }
      }
      return;
    }
    gateway
        .getPrefix(TopologyKeys.backupNewest(region.name(), ""))
        .subscribe()
        .with(
            kvs ->
                kvs.forEach(
                    (key, value) -> {
                      String target = key.substring(key.lastIndexOf('/') + 1);
                      try {
                        durable.merge(target, Instant.parse(value.trim()), BackupService::latest);
                      } catch (RuntimeException e) {
                        LOG.debugf("bad recovery point %s=%s", key, value);
                      }
                    }),
            failure -> LOG.debugf("reading the recovery points: %s", failure));
  }

  /** The backup running now, if any. */
  public Optional<Progress> running() {
    return Optional.ofNullable(running.get());
  }

  /** The last outcome per target. */
  public Map<String, Outcome> last() {
    return Map.copyOf(last);
  }

  /** Applies the retention to {@code target} (a failure to prune does not fail the backup). */
  private void prune(String target) {
    try {
      int keep =
          target.equals("postgres")
              ? config.retention().postgresCount()
              : config.retention().etcdCount();
      for (RecoveryPoint p :
          Retention.expired(
              repository.list(target), keep, config.retention().minAge(), Instant.now())) {
        repository.delete(p);
        metrics.counter("vigil.backup.pruned", "target", target).increment();
        LOG.debugf("Retention: deleted %s of %s", p.id(), target);
      }
      if (target.equals("postgres")) {
        List<RecoveryPoint> kept = repository.list("postgres");
        if (!kept.isEmpty()) {
          for (RecoveryPoint w :
              Retention.unneededWal(repository.list(BackupRepository.WAL), kept.get(0))) {
            repository.delete(w);
            metrics.counter("vigil.backup.pruned", "target", BackupRepository.WAL).increment();
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.warnf("Retention of %s failed: %s", target, e.getMessage());
    }
  }

  private void refreshNewest() {
    for (String target : TARGETS) {
      List<RecoveryPoint> points = repository.list(target);
      if (!points.isEmpty()) {
        newest.put(target, points.get(points.size() - 1).time());
      }
    }
    // the newest archived WAL also counts for PostgreSQL until this instance streams itself
    List<RecoveryPoint> segments = repository.list(BackupRepository.WAL);
    if (!segments.isEmpty() && newest.containsKey("postgres")) {
      durable.merge("postgres", segments.get(segments.size() - 1).time(), BackupService::latest);
    }
  }

  private final Map<String, Boolean> broken = new ConcurrentHashMap<>();

  /** Logs and counts every time a target's RPO is broken (and when it is kept again). */
  private void watchRpo() {
    for (String target : TARGETS) {
      if (!enabled(target)) {
        continue;
      }
      Optional<Duration> exposure = exposure(target);
      boolean now = exposure.isEmpty() || exposure.get().compareTo(objective(target)) > 0;
      Boolean before = broken.put(target, now);
      if (now && !Boolean.TRUE.equals(before) && exposure.isPresent()) {
        metrics.counter("vigil.backup.rpo.breaches", "target", target).increment();
        LOG.warnf(
            "RPO of %s broken: the newest recovery point is %d s old, the objective %d s",
            target, exposure.get().toSeconds(), objective(target).toSeconds());
      } else if (!now && Boolean.TRUE.equals(before)) {
        LOG.infof("RPO of %s kept again", target);
      }
    }
  }

  private boolean wasLeader;

  private void tick() {
    boolean leading = leader.leader();
    shareRecoveryPoints(leading);
    watchRpo();
    boolean elected = leading && !wasLeader;
    wasLeader = leading;
    if (!config.schedule().enabled() || !leading || running.get() != null) {
      return;
    }
    if (elected && etcd.enabled()) {
      // a backup the previous leader did not finish is taken again at once
      gateway
          .getPrefix(TopologyKeys.backupRunning(region.name()))
          .subscribe()
          .with(
              kvs ->
                  kvs.values().stream()
                      .filter(TARGETS::contains)
                      .filter(this::enabled)
                      .findFirst()
                      .ifPresent(
                          target -> {
                            LOG.infof(
                                "Re-running the %s backup the previous leader did not finish",
                                target);
                            start(target);
                          }),
              failure -> LOG.debugf("reading the running backup marker: %s", failure));
      return;
    }
    for (String target : TARGETS) {
      if (!enabled(target)) {
        continue;
      }
      Duration interval =
          target.equals("postgres") ? config.schedule().postgres() : config.schedule().etcd();
      Instant latest = newest.get(target);
      if (latest == null || !latest.plus(interval).isAfter(Instant.now())) {
        start(target);
        return;
      }
    }
  }

  /**
   * Starts a backup of {@code target} now; empty when another backup is running (one at a time).
   */
  public Optional<CompletableFuture<RecoveryPoint>> start(String target) {
    String id = ID.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 6);
    Progress progress = new Progress(target, id);
    if (!running.compareAndSet(null, progress)) {
      return Optional.empty();
    }
    CompletableFuture<RecoveryPoint> done = new CompletableFuture<>();
    try {
      worker.execute(() -> run(target, progress, done));
    } catch (RuntimeException e) {
      running.set(null);
      throw e;
    }
    return Optional.of(done);
  }

  private void run(String target, Progress progress, CompletableFuture<RecoveryPoint> done) {
    long t0 = System.nanoTime();
    String marker = TopologyKeys.backupRunning(region.name());
    try {
      if (etcd.enabled()) {
        gateway.put(marker, target, 0).await().atMost(region.etcd().callTimeout());
      }
      RecoveryPoint point =
          target.equals("postgres")
              ? postgres.backup(progress.id(), progress)
              : etcd.snapshot(progress.id(), progress);
      double seconds = (System.nanoTime() - t0) / 1e9;
      newest.merge(target, point.time(), (a, b) -> a.isAfter(b) ? a : b);
      last.put(
          target, new Outcome(point.id(), true, point.size() + " bytes", Instant.now(), seconds));
      metrics.counter("vigil.backup.runs", "target", target, "outcome", "success").increment();
      metrics.counter("vigil.backup.bytes", "target", target).increment(point.size());
      LOG.infof("Backup %s of %s: %d bytes in %.1f s", point.id(), target, point.size(), seconds);
      prune(target);
      done.complete(point);
    } catch (Exception e) {
      double seconds = (System.nanoTime() - t0) / 1e9;
      last.put(target, new Outcome(progress.id(), false, e.getMessage(), Instant.now(), seconds));
      metrics.counter("vigil.backup.runs", "target", target, "outcome", "failure").increment();
      LOG.errorf("Backup %s of %s failed: %s", progress.id(), target, e.getMessage());
      done.completeExceptionally(e);
    } finally {
      if (etcd.enabled()) {
        gateway
            .delete(marker)
            .subscribe()
            .with(v -> {}, f -> LOG.debugf("clearing the running backup marker: %s", f));
      }
      running.set(null);
    }
  }
}
