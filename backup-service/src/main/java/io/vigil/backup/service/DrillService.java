package io.vigil.backup.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.metrics.OwnedGauges;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.process.EtcdCluster;
import io.vigil.process.ScratchPostgres;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Restore drills: the newest backup of a target is restored from the repository into a scratch
 * directory and started as a throw-away instance on loopback — PostgreSQL must answer a query, etcd
 * must report healthy with the snapshot's revision — then removed. Each success records when the
 * target was last proven restorable and how long the restore took (the RTO of that backup).
 */
@ApplicationScoped
public class DrillService {

  private static final Logger LOG = Logger.getLogger(DrillService.class);

  private final BackupConfig config;
  private final BackupRepository repository;
  private final RestoreService restores;
  private final BackupLeader leader;
  private final BackupService backups;
  private final MeterRegistry metrics;
  private final Vertx vertx;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().name("drill-worker").factory());
  private final AtomicBoolean running = new AtomicBoolean();
  private final Map<String, Result> last = new ConcurrentHashMap<>();
  private final Map<String, Instant> proven = new ConcurrentHashMap<>();
  private final OwnedGauges gauges;
  private Periodic timer;
  private final EtcdCluster.User etcdAdmin;

  /** The outcome of a drill. */
  public record Result(
      String target,
      String recoveryPoint,
      boolean succeeded,
      String detail,
      Instant at,
      double restoreSeconds) {}

  DrillService(
      BackupConfig config,
      BackupRepository repository,
      RestoreService restores,
      BackupLeader leader,
      BackupService backups,
      MeterRegistry metrics,
      Vertx vertx,
      RegionConfig region) {
    this.config = config;
    // the snapshot holds this region's users: the service's own (etcd's root role) gets in
    this.etcdAdmin =
        region
            .etcd()
            .user()
            .map(u -> new EtcdCluster.User(u, region.etcd().password().orElse("")))
            .orElse(EtcdCluster.User.ANONYMOUS);
    this.repository = repository;
    this.restores = restores;
    this.leader = leader;
    this.backups = backups;
    this.metrics = metrics;
    this.vertx = vertx;
    this.gauges = new OwnedGauges(metrics);
  }

  void onStart(@Observes StartupEvent event) {
    for (String target : BackupService.TARGETS.stream().filter(backups::enabled).toList()) {
      Tags tags = Tags.of("target", target);
      gauges.gauge(
          "vigil.backup.drill.last.success.timestamp.seconds",
          tags,
          "when the newest backup was last proven restorable (0 before the first drill)",
          () -> Optional.ofNullable(proven.get(target)).map(Instant::getEpochSecond).orElse(0L));
      gauges.gauge(
          "vigil.backup.drill.restore.seconds",
          tags,
          "restore time of the last successful drill",
          () ->
              Optional.ofNullable(last.get(target))
                  .filter(Result::succeeded)
                  .map(Result::restoreSeconds)
                  .orElse(Double.NaN));
    }
    timer = Periodic.onEventLoop(vertx, config.schedule().tick(), this::tick);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
    gauges.close();
    // a drill cut short leaves no scratch server behind: the process module stops at exit
    // every server it started that is not detached
    worker.shutdownNow();
  }

  /** The last drill of each target. */
  public Map<String, Result> last() {
    return Map.copyOf(last);
  }

  private void tick() {
    if (!config.drill().enabled() || !leader.leader() || running.get()) {
      return;
    }
    for (String target : BackupService.TARGETS) {
      if (!backups.enabled(target) || backups.exposure(target).isEmpty()) {
        continue;
      }
      Result previous = last.get(target);
      if (previous == null
          || !previous.at().plus(config.drill().interval()).isAfter(Instant.now())) {
        start(target);
        return;
      }
    }
  }

  /** Starts a drill of {@code target}; empty when one is running. */
  public Optional<CompletableFuture<Result>> start(String target) {
    if (!running.compareAndSet(false, true)) {
      return Optional.empty();
    }
    CompletableFuture<Result> done = new CompletableFuture<>();
    worker.execute(
        () -> {
          try {
            done.complete(drill(target));
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          } finally {
            running.set(false);
          }
        });
    return Optional.of(done);
  }

  private Result drill(String target) {
    RecoveryPoint point = null;
    Path scratch = repository.staging("drill-" + target + "-" + System.nanoTime());
    long t0 = System.nanoTime();
    Result result;
    try {
      RestoreService.Plan plan =
          restores.choose(repository.region(), target, Optional.empty(), Optional.empty());
      point = plan.point();
      Path into = scratch.resolve("restored");
      RestoreService.Restored restored = restores.restore(plan, into);
      String detail =
          target.equals("postgres")
              ? startPostgres(into, scratch)
              : startEtcd(restored.path(), scratch, point);
      double seconds = (System.nanoTime() - t0) / 1e9;
      result = new Result(target, point.id(), true, detail, Instant.now(), seconds);
      proven.put(target, result.at());
      metrics.counter("vigil.backup.drills", "target", target, "outcome", "success").increment();
      LOG.infof(
          "Drill: %s backup %s restored and started in %.1f s (%s)",
          target, point.id(), seconds, detail);
    } catch (Exception e) {
      double seconds = (System.nanoTime() - t0) / 1e9;
      result =
          new Result(
              target,
              point == null ? null : point.id(),
              false,
              e.getMessage(),
              Instant.now(),
              seconds);
      metrics.counter("vigil.backup.drills", "target", target, "outcome", "failure").increment();
      LOG.errorf("Drill of %s failed: %s", target, e.getMessage());
    } finally {
      BackupRepository.deleteTree(scratch);
    }
    last.put(target, result);
    return result;
  }

  /** Starts PostgreSQL on the restored directory (no TCP, its own socket), queries it, stops it. */
  private String startPostgres(Path data, Path scratch) {
    try (ScratchPostgres postgres =
        ScratchPostgres.start(
            workspace(scratch),
            "drill-postgres",
            data,
            Tools.postgresClientBin(config.postgres().binDir()),
            config.drill().postgresUser(),
            Duration.ofMinutes(5))) {
      return "PostgreSQL answered: "
          + postgres.query("SELECT count(*) FROM pg_database WHERE NOT datistemplate")
          + " databases";
    }
  }

  /**
   * Restores the snapshot as a one-member cluster with a new name, checks its revision, stops it.
   */
  private String startEtcd(Path snapshot, Path scratch, RecoveryPoint point) {
    try (EtcdCluster etcd =
        EtcdCluster.fromSnapshot(workspace(scratch), "drill", 1, snapshot, etcdAdmin)) {
      long revision = etcd.revision();
      if (point.revision() != null && revision < point.revision()) {
        throw new IllegalStateException(
            "the restored etcd is at revision "
                + revision
                + ", the snapshot at "
                + point.revision());
      }
      return "etcd healthy at revision " + revision;
    }
  }

  /** The drill's scratch servers live (and log) in its scratch directory; stopped with this JVM. */
  private static Workspace workspace(Path scratch) {
    return new Workspace(scratch.resolve("servers"), scratch.resolve("logs"), false);
  }
}
