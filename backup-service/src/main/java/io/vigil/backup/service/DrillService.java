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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
  private long timer = -1;

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
      Vertx vertx) {
    this.config = config;
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
    timer = vertx.setPeriodic(config.schedule().tick().toMillis(), id -> tick());
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    gauges.close();
    worker.shutdownNow();
    // a drill cut short must not leave its scratch server behind
    for (Process p : scratchProcesses) {
      p.destroyForcibly();
    }
  }

  /** The scratch servers of the drill running now. */
  private final java.util.Set<Process> scratchProcesses =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

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
  private String startPostgres(Path data, Path scratch) throws Exception {
    Path bin = Tools.postgresBin(config.postgres().binDir());
    // a short directory: a Unix socket path may not exceed 107 bytes
    Path sockets = Files.createTempDirectory("vigil-drill-");
    Path hba = scratch.resolve("drill_hba.conf");
    Files.writeString(hba, "local all all trust\n");
    int port = freePort();
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      for (Path dir : List.of(scratch, sockets)) {
        Tools.run(
            List.of("chown", "-R", config.drill().postgresUser(), dir.toString()), Map.of(), null);
      }
    }
    Files.setPosixFilePermissions(
        data, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    List<String> command = asPostgresUser(root);
    command.addAll(
        List.of(
            bin.resolve("postgres").toString(),
            "-D",
            data.toString(),
            "-p",
            Integer.toString(port),
            "-c",
            "listen_addresses=",
            "-c",
            "unix_socket_directories=" + sockets,
            "-c",
            "hba_file=" + hba,
            "-c",
            "archive_mode=off",
            "-c",
            "hot_standby=off",
            "-c",
            "shared_buffers=32MB"));
    Process postgres =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve("postgres.log").toFile())
            .start();
    scratchProcesses.add(postgres);
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      List<String> query = asPostgresUser(root);
      query.addAll(
          List.of(
              bin.resolve("psql").toString(),
              "-h",
              sockets.toString(),
              "-p",
              Integer.toString(port),
              "-U",
              "postgres",
              "-d",
              "postgres",
              "-Atc",
              "SELECT count(*) FROM pg_database WHERE NOT datistemplate"));
      while (true) {
        if (!postgres.isAlive()) {
          throw new IOException(
              "the restored PostgreSQL exited: " + tail(scratch.resolve("postgres.log")));
        }
        try {
          String databases = Tools.run(query, Map.of(), null).strip();
          return "PostgreSQL answered: " + databases + " databases";
        } catch (IOException notYet) {
          if (System.nanoTime() > deadline) {
            throw new IOException(
                "the restored PostgreSQL did not answer within 5 minutes: " + notYet.getMessage());
          }
          Thread.sleep(200);
        }
      }
    } finally {
      scratchProcesses.remove(postgres);
      postgres.destroy();
      if (!postgres.waitFor(30, TimeUnit.SECONDS)) {
        postgres.destroyForcibly();
      }
      BackupRepository.deleteTree(sockets);
    }
  }

  /**
   * The start of a command that runs as the drill's PostgreSQL user when this service is root
   * (PostgreSQL refuses to run as root), else empty; the caller appends the command.
   */
  private List<String> asPostgresUser(boolean root) {
    List<String> prefix = new ArrayList<>();
    if (root) {
      String user = config.drill().postgresUser();
      prefix.addAll(
          List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
    }
    return prefix;
  }

  /** Restores the snapshot as a one-member cluster with a new name, checks its health, stops it. */
  private String startEtcd(Path snapshot, Path scratch, RecoveryPoint point) throws Exception {
    Path etcdctl = Tools.which("etcdctl").orElseThrow(() -> new IOException("etcdctl not found"));
    Path etcd = Tools.which("etcd").orElseThrow(() -> new IOException("etcd not found"));
    int client = freePort();
    int peer = freePort();
    String name = "drill";
    String peerUrl = "http://127.0.0.1:" + peer;
    Path dataDir = scratch.resolve("etcd-data");
    Tools.run(
        List.of(
            etcdctl.toString(),
            "snapshot",
            "restore",
            snapshot.toString(),
            "--name=" + name,
            "--data-dir=" + dataDir,
            "--initial-cluster=" + name + "=" + peerUrl,
            "--initial-cluster-token=drill",
            "--initial-advertise-peer-urls=" + peerUrl),
        Map.of(),
        null);
    String clientUrl = "http://127.0.0.1:" + client;
    Process process =
        new ProcessBuilder(
                etcd.toString(),
                "--name=" + name,
                "--data-dir=" + dataDir,
                "--listen-client-urls=" + clientUrl,
                "--advertise-client-urls=" + clientUrl,
                "--listen-peer-urls=" + peerUrl,
                "--initial-advertise-peer-urls=" + peerUrl,
                "--initial-cluster=" + name + "=" + peerUrl,
                "--log-level=error")
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve("etcd.log").toFile())
            .start();
    scratchProcesses.add(process);
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (true) {
        if (!process.isAlive()) {
          throw new IOException("the restored etcd exited: " + tail(scratch.resolve("etcd.log")));
        }
        try {
          String status =
              Tools.run(
                  List.of(
                      etcdctl.toString(),
                      "--endpoints=" + clientUrl,
                      "endpoint",
                      "status",
                      "-w",
                      "json"),
                  Map.of(),
                  null);
          java.util.regex.Matcher m =
              java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(status);
          if (m.find()) {
            long revision = Long.parseLong(m.group(1));
            if (point.revision() != null && revision < point.revision()) {
              throw new IllegalStateException(
                  "the restored etcd is at revision "
                      + revision
                      + ", the snapshot at "
                      + point.revision());
            }
            return "etcd healthy at revision " + revision;
          }
        } catch (IOException notYet) {
          if (System.nanoTime() > deadline) {
            throw new IOException(
                "the restored etcd did not answer within 2 minutes: " + notYet.getMessage());
          }
        }
        Thread.sleep(200);
      }
    } finally {
      scratchProcesses.remove(process);
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
