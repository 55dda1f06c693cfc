package io.vigil.cli.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.region.BackupCalls;
import io.vigil.cli.region.LocalRegion;
import io.vigil.cli.region.RegionState;
import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole primary region lost, recovered into the standby region ({@code vigil up --dr}): every
 * process of the primary region is killed but its router (the front door clients keep using); the
 * standby region's backup-service restores PostgreSQL from its repository — the copies of the lost
 * region's base backups and WAL — to the latest point; PostgreSQL starts on it and promotes; a
 * monitoring-service starts there on the restored database; the region's router, finding no zone of
 * its own, fails over to the standby region's router. The lost region is not brought back: the
 * standby region now serves.
 */
public final class RegionLoss implements Failure {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path stateDir;
  private String observed = "-";

  public RegionLoss(Path stateDir) {
    this.stateDir = stateDir;
  }

  @Override
  public String name() {
    return "whole region lost, restored into the standby region";
  }

  @Override
  public void inflict(RegionState state, PrintStream out) throws Exception {
    if (state.standbyRegion == null) {
      throw new IllegalStateException(
          "the region has no standby region: start it with ./vigil up --dr");
    }
    long t0 = System.nanoTime();
    String zone = LocalRegion.standbyZone(state.standbyRegion);
    List<RegionState.Process> lost =
        state.processes.stream()
            .filter(RegionState.Process::alive)
            .filter(p -> !p.role().startsWith("dr-") && !p.role().equals("router-service"))
            .toList();
    // all at once, as a region goes
    for (RegionState.Process p : lost) {
      p.signal("CONT");
      p.signal("KILL");
    }
    for (RegionState.Process p : lost) {
      Readiness.await(p.name() + " gone", Duration.ofSeconds(10), () -> !p.alive());
    }
    out.printf(
        "  %s lost: %d processes killed (%s)%n",
        state.region,
        lost.size(),
        String.join(", ", lost.stream().map(RegionState.Process::name).toList()));

    // PostgreSQL restored from the standby region's repository: the lost region's copies
    RegionState.Process backup = role(state, "dr-backup-service");
    Path dir =
        LocalRegion.restoreRoot(stateDir).resolve("dr-restore-" + System.currentTimeMillis());
    JsonNode restore = restoreLatest(state, backup, "postgres", dir, Duration.ofMinutes(30));
    double restored = (System.nanoTime() - t0) / 1e9;
    out.printf(
        "  restored base backup %s + %d WAL segments (%s) in %.1f s%n",
        restore.path("recovery_point").path("id").asText(),
        restore.path("wal_segments").asInt(),
        restore.path("recovery_target").asText(),
        restored);

    // the hot standby's upstream is gone; the restored database takes its place
    for (RegionState.Process p : state.processes) {
      if (p.role().equals("dr-postgres") && p.running()) {
        ManagedProcess.signal(p.pid(), "INT");
        Readiness.await(p.name() + " stopped", Duration.ofSeconds(30), () -> !p.running());
      }
    }
    Workspace ws = new Workspace(stateDir.resolve("data"), stateDir.resolve("logs"), true);
    PostgresServer pg =
        PostgresServer.startRestored(ws, "dr-postgres-restored", dir, state.postgresPassword);
    state.add(pg.process(), "dr-postgres", zone, pg.jdbcUrl(PostgresServer.DATABASE));
    state.write(stateDir.resolve("region.json"));
    pg.awaitPromoted(Duration.ofMinutes(5));
    double promoted = (System.nanoTime() - t0) / 1e9;
    out.printf("  PostgreSQL promoted on the restored data at %.1f s%n", promoted);

    // the monitoring API in the standby region, on the restored database
    Map<String, String> config = new LinkedHashMap<>();
    config.put("vigil.region.name", state.standbyRegion);
    config.put("vigil.region.zone", zone);
    config.putAll(
        EtcdCluster.serviceConfig(
            state.standbyEtcdEndpoints, state.standbyEtcdUser(EtcdRoles.MONITORING)));
    config.put("vigil.region.instance-id", "dr-monitoring");
    config.put("quarkus.datasource.reactive.url", pg.reactiveUrl());
    config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(PostgresServer.DATABASE));
    config.put("quarkus.datasource.username", PostgresServer.USER);
    config.put("quarkus.datasource.password", state.postgresPassword);
    config.put("vigil.security.operator-key", state.operatorKey);
    config.putAll(state.monitoringSettings());
    int port = Ports.free();
    QuarkusService.Started monitoring =
        QuarkusService.start(
            ws, "dr-monitoring", "monitoring-service", port, config, QuarkusService.Aot.AUTO);
    state.add(monitoring, "dr-monitoring-service", zone);
    state.write(stateDir.resolve("region.json"));
    double ready = (System.nanoTime() - t0) / 1e9;
    out.printf("  monitoring-service ready in %s at %.1f s%n", state.standbyRegion, ready);
    // served again through the region's router, by way of its failover to the standby region
    io.vigil.cli.region.MonitoringApi api =
        new io.vigil.cli.region.MonitoringApi(state.apiUrl, state.apiKey);
    Readiness.await(
        "the API served through the router's region failover",
        Duration.ofSeconds(60),
        () -> {
          try {
            return api.send("GET", "/data_marts", null).statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        });
    double serving = (System.nanoTime() - t0) / 1e9;
    out.printf("  the API answers through the router again at %.1f s%n", serving);
    String etcd = restoreEtcd(state, backup, ws, zone, out);
    observed =
        String.format(
            "restored from the standby repository in %.1f s (%d WAL segments, %s), promoted at"
                + " %.1f s, %s serving at %.1f s; %s",
            restored,
            restore.path("wal_segments").asInt(),
            restore.path("recovery_target").asText(),
            promoted,
            state.standbyRegion,
            serving,
            etcd);
  }

  /**
   * The lost region's etcd, from the newest snapshot copy in the standby repository: restored as a
   * new one-member cluster under new member names ({@code etcdctl snapshot restore}), started, and
   * checked to hold the lost region's keys — its zones' admin states, Patroni's cluster state, its
   * backups' recovery points — for whoever takes the region over. The standby region's services
   * keep registering in the standby region's own etcd.
   */
  private String restoreEtcd(
      RegionState state, RegionState.Process backup, Workspace ws, String zone, PrintStream out)
      throws Exception {
    long t0 = System.nanoTime();
    Path dir =
        LocalRegion.restoreRoot(stateDir).resolve("dr-etcd-restore-" + System.currentTimeMillis());
    JsonNode restore = restoreLatest(state, backup, "etcd", dir, Duration.ofMinutes(5));
    EtcdCluster restored =
        EtcdCluster.fromSnapshot(
            ws,
            state.standbyRegion + "-restored-etcd",
            1,
            Path.of(restore.path("path").asText()),
            state.etcdUser(EtcdCluster.ROOT));
    EtcdCluster.Member member = restored.members().get(0);
    state.add(member.process(), "dr-etcd-restored", zone, member.clientUrl());
    state.write(stateDir.resolve("region.json"));
    String backups = "/vigil/backups/" + state.region + "/";
    JsonNode got =
        JSON.readTree(
            restored
                .asRoot(
                    Duration.ofSeconds(10), "get", backups, "--prefix", "--keys-only", "-w", "json")
                .run(""));
    long keys = got.path("count").asLong();
    long revision = got.path("header").path("revision").asLong();
    if (keys == 0) {
      throw new IllegalStateException(
          "the restored etcd holds no key under " + backups + ": not the lost region's snapshot");
    }
    String done =
        String.format(
            "etcd restored from snapshot %s as %s (revision %d, %d keys under %s) in %.1f s",
            restore.path("recovery_point").path("id").asText(),
            member.name(),
            revision,
            keys,
            backups,
            (System.nanoTime() - t0) / 1e9);
    out.println("  " + done);
    return done;
  }

  /**
   * Restores the lost region's latest recovery point of {@code target} from the copies in the
   * standby region's repository, through the standby backup-service, into {@code dir}.
   */
  private static JsonNode restoreLatest(
      RegionState state, RegionState.Process backup, String target, Path dir, Duration timeout)
      throws Exception {
    Http.Response r =
        BackupCalls.restore(
            state.operator(),
            backup.endpoint(),
            "{\"target\":\""
                + target
                + "\",\"source_region\":\""
                + state.region
                + "\",\"recovery_point\":\"latest\",\"directory\":\""
                + dir.toAbsolutePath()
                + "\"}",
            timeout);
    if (r.status() != 201) {
      throw new IllegalStateException(
          "the " + target + " restore failed: " + r.status() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  @Override
  public String mend(RegionState state, Path stateFile, PrintStream out) {
    out.println("  the lost region stays lost: " + state.standbyRegion + " serves");
    return observed;
  }

  private static RegionState.Process role(RegionState state, String role) {
    return state.processes.stream()
        .filter(p -> p.role().equals(role) && p.running())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no running " + role + " in the region"));
  }
}
