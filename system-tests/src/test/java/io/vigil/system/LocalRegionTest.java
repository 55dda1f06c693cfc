package io.vigil.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.vigil.cli.drill.Failure;
import io.vigil.cli.drill.LoadDrill;
import io.vigil.cli.drill.RegionLoss;
import io.vigil.cli.drill.Zones;
import io.vigil.cli.region.LocalRegion;
import io.vigil.cli.region.RegionState;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@code ./vigil up} and {@code ./vigil down} do, on the packaged services. */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LocalRegionTest {

  private final Path stateDir =
      Path.of("target", "region-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8);
  private RegionState state;

  @AfterEach
  void down() {
    if (state != null) {
      LocalRegion.down(state, out);
    }
    Workspace.deleteTree(stateDir.resolve("data"));
    // what the test printed (drill reports among it) stays for whoever reads the run
    try {
      java.nio.file.Files.write(stateDir.resolve("test-progress.log"), progress.toByteArray());
    } catch (java.io.IOException e) {
      // the test's own outcome stands
    }
  }

  @Test
  void upStartsEveryZoneRegistersInEtcdAndDownLeavesNoProcess() throws Exception {
    state =
        new LocalRegion(
                new LocalRegion.Options(
                    stateDir,
                    "us-south",
                    List.of("zone-a", "zone-b", "zone-c"),
                    QuarkusService.Aot.AUTO,
                    true,
                    "us-east"),
                out)
            .up();

    // 3 etcd, 3 Patroni members (1 PostgreSQL where Patroni is missing), S3Proxy, 6 services,
    // router; the standby region: etcd, a PostgreSQL hot standby, a backup-service, a router
    int expected = (Tools.hasPatroni() ? 14 : 12) + 4;
    assertThat(state.processes).hasSize(expected);
    assertThat(state.running()).hasSize(expected);
    if (Tools.hasPatroni()) {
      assertThat(state.dataLayer).startsWith("Patroni, 3 members");
    }
    // the demo tenant works through the monitoring API
    assertThat(Http.get(state.apiUrl + "/data_marts", java.time.Duration.ofSeconds(2)).status())
        .isEqualTo(401);
    assertThat(RegionState.read(stateDir.resolve("region.json")))
        .get()
        .satisfies(s -> assertThat(s.routerUrl).isEqualTo(state.routerUrl));
    for (RegionState.Process p : state.processes) {
      if (p.role().endsWith("-service")) {
        assertThat(Http.get(p.endpoint() + "/q/health/ready").status()).as(p.name()).isEqualTo(200);
        assertThat(Http.get(p.endpoint() + "/q/health/started").status())
            .as(p.name())
            .isEqualTo(200);
      }
    }

    // every metric the Kubernetes alerts name is exported by a service of the region
    List<String> alerting = alertMetrics();
    assertThat(alerting).contains("vigil_router_zone_up", "vigil_backup_rpo_exposure_seconds");
    Readiness.await(
        "every metric named by k8s/base/observability/prometheus-rules.yaml exported",
        Duration.ofSeconds(30),
        () -> {
          StringBuilder exported = new StringBuilder();
          for (RegionState.Process p : state.processes) {
            if (p.role().endsWith("-service")) {
              exported.append(Http.get(p.endpoint() + "/q/metrics").body()).append('\n');
            }
          }
          String all = exported.toString();
          return alerting.stream()
              .allMatch(m -> all.contains("\n" + m + "{") || all.contains("\n" + m + " "));
        });

    // a zone killed, then a zone hung, under steady reads and writes through the router: no
    // failed request, no lost acknowledged record (the zone holds neither the PostgreSQL leader
    // nor its synchronous standby; losing those is the Patroni failover case). 16 s: when the zone
    // holds the backup leader, writes wait some 8 s for the next one to ship their WAL to the
    // standby region, and the drill still needs enough acknowledged writes to mean something
    String zone = quietZone();
    for (Failure failure : List.of(Failure.zoneKilled(zone), Failure.zoneHung(zone))) {
      LoadDrill.Report report =
          LoadDrill.run(
              state, stateDir.resolve("region.json"), failure, Duration.ofSeconds(16), out);
      out.println(report.row());
      assertThat(report.acknowledged()).as(report.row()).isGreaterThan(20);
      assertThat(report.reads()).as(report.row()).isGreaterThan(100);
      assertThat(report.failedReads()).as(report.row()).isZero();
      assertThat(report.failedWrites()).as(report.row()).isZero();
      assertThat(report.lost()).as(report.row()).isZero();
      for (RegionState.Process p : state.processes) {
        assertThat(p.running()).as(p.name() + " running after the drill").isTrue();
      }
    }

    // the backup leader killed in the middle of a base backup: another instance takes over within
    // the lease and completes one (the drill fails when none completes within 60 s of the kill)
    LoadDrill.Report takeover =
        LoadDrill.run(
            state,
            stateDir.resolve("region.json"),
            Failure.backupLeader(),
            Duration.ofSeconds(15),
            out);
    out.println(takeover.row());
    assertThat(takeover.lost()).as(takeover.row()).isZero();
    assertThat(takeover.failedWrites()).as(takeover.row()).isZero();
    assertThat(takeover.observed()).as(takeover.row()).contains("completed a base backup");

    // WAL is streamed into the region's bucket by the (new) leader, the RPO is kept, and every
    // artifact reaches the standby region's repository
    Readiness.await(
        "the backup leader streams WAL and keeps the PostgreSQL RPO",
        Duration.ofSeconds(30),
        this::leaderStreamsWalWithinTheRpo);
    Path dr = stateDir.resolve("dr-backups/us-south");
    Readiness.await(
        "base backups, snapshots and WAL copied to the standby region's repository",
        Duration.ofSeconds(60),
        () ->
            java.nio.file.Files.isDirectory(dr.resolve("pg/wal"))
                && java.nio.file.Files.isDirectory(dr.resolve("etcd"))
                && java.nio.file.Files.isDirectory(dr.resolve("pg/base")));

    // the full set (-Dvigil.drills=full): the Patroni leader and an etcd member, each under load;
    // the results table goes to target/drill-results.md
    boolean full = "full".equals(System.getProperty("vigil.drills"));
    StringBuilder table = new StringBuilder(LoadDrill.Report.header()).append('\n');
    table.append(takeover.row()).append('\n');
    if (full) {
      for (Failure failure : List.of(Failure.patroniLeader(), Failure.etcdMember("etcd-2"))) {
        LoadDrill.Report report =
            LoadDrill.run(
                state, stateDir.resolve("region.json"), failure, Duration.ofSeconds(30), out);
        table.append(report.row()).append('\n');
        // no lost acknowledged record in any case (failed requests are reported, not required
        // to be zero: these are not zone losses)
        assertThat(report.lost()).as(report.row()).isZero();
        assertThat(report.acknowledged()).as(report.row()).isGreaterThan(20);
      }
    }

    try (Client etcd = Client.builder().endpoints(state.etcdEndpoints.split(",")).build()) {
      assertThat(instanceKeys(etcd))
          .containsExactlyInAnyOrder(
              "zone-a/instances/monitoring-service/monitoring-zone-a",
              "zone-b/instances/monitoring-service/monitoring-zone-b",
              "zone-c/instances/monitoring-service/monitoring-zone-c",
              "zone-a/instances/backup-service/backup-zone-a",
              "zone-b/instances/backup-service/backup-zone-b",
              "zone-c/instances/backup-service/backup-zone-c",
              "zone-a/instances/router-service/router");

      // graceful stop: the instance deregisters first thing, long before its lease would expire
      RegionState.Process backupB = backupB();
      long stoppedAt = System.nanoTime();
      ManagedProcess.signal(backupB.pid(), "TERM");
      Readiness.await(
          "backup-zone-b deregistered",
          Duration.ofSeconds(3),
          () -> !instanceKeys(etcd).contains("zone-b/instances/backup-service/backup-zone-b"));
      assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(3));

      // crash: the key goes when the 5 s lease runs out
      RegionState.Process monitoringC = monitoringC();
      ManagedProcess.signal(monitoringC.pid(), "KILL");
      Readiness.await(
          "monitoring-zone-c's registration expired",
          Duration.ofSeconds(12),
          () ->
              !instanceKeys(etcd)
                  .contains("zone-c/instances/monitoring-service/monitoring-zone-c"));
    }

    // both back, then the whole region lost under load and recovered into the standby region:
    // a restore from the standby region's copies, served through the router's region failover
    Zones.startAgain(
        state, stateDir.resolve("region.json"), List.of(backupB(), monitoringC()), out);
    LoadDrill.Report regionLoss =
        LoadDrill.run(
            state,
            stateDir.resolve("region.json"),
            new RegionLoss(stateDir),
            Duration.ofSeconds(45),
            out);
    out.println(regionLoss.row());
    assertThat(regionLoss.acknowledged()).as(regionLoss.row()).isGreaterThan(20);
    // with a standby region a write is acknowledged only once its WAL is verified in the standby
    // region's repository: the restore from there holds every acknowledged record
    assertThat(regionLoss.lost()).as(regionLoss.row()).isZero();
    assertThat(regionLoss.recoverySeconds()).as(regionLoss.row()).isLessThan(60.0);
    assertThat(regionLoss.observed()).as(regionLoss.row()).contains("us-east serving");
    table.append(regionLoss.row()).append('\n');
    if (full) {
      java.nio.file.Files.writeString(Path.of("target/drill-results.md"), table);
    }
    out.println(table);

    List<RegionState.Process> left = LocalRegion.down(state, out);
    assertThat(left).isEmpty();
    for (RegionState.Process p : state.processes) {
      assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false))
          .as(p.name() + " is gone")
          .isFalse();
      // a Patroni member's PostgreSQL runs detached from Patroni: it must be gone too
      assertThat(p.detached()).as(p.name() + "'s PostgreSQL is gone").isEmpty();
    }
    state = null;
  }

  private boolean leaderStreamsWalWithinTheRpo() {
    for (RegionState.Process p : state.processes) {
      if (p.role().equals("backup-service")) {
        String status = Http.get(p.endpoint() + "/backups/status").body();
        if (status.contains("\"leader\":true")) {
          try {
            var s = new com.fasterxml.jackson.databind.ObjectMapper().readTree(status);
            return s.path("wal").path("streaming").asBoolean()
                && s.path("rpo").path("postgres").path("exposure_seconds").asDouble(1e9)
                    < s.path("rpo").path("postgres").path("objective_seconds").asDouble();
          } catch (java.io.IOException e) {
            return false;
          }
        }
      }
    }
    return false;
  }

  private RegionState.Process backupB() {
    return process("backup-zone-b");
  }

  private RegionState.Process monitoringC() {
    return process("monitoring-zone-c");
  }

  /** A zone whose PostgreSQL member is neither the Patroni leader nor its synchronous standby. */
  private String quietZone() throws Exception {
    if (!Tools.hasPatroni()) {
      return "zone-c"; // the single PostgreSQL runs in zone-a
    }
    try (Client etcd = Client.builder().endpoints(state.etcdEndpoints.split(",")).build()) {
      String scope = "/service/vigil-us-south/";
      String leader = value(etcd, scope + "leader");
      String sync = value(etcd, scope + "sync");
      for (String zone : List.of("zone-a", "zone-b", "zone-c")) {
        String member = "pg-" + zone;
        if (!member.equals(leader) && !sync.contains("\"" + member + "\"")) {
          return zone;
        }
      }
    }
    throw new IllegalStateException("no zone without the leader or the synchronous standby");
  }

  private static String value(Client etcd, String key) throws Exception {
    var kvs =
        etcd.getKVClient()
            .get(ByteSequence.from(key, StandardCharsets.UTF_8))
            .get(5, TimeUnit.SECONDS)
            .getKvs();
    return kvs.isEmpty() ? "" : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
  }

  /** The metric names in the expressions of the Kubernetes alert rules. */
  private static List<String> alertMetrics() throws java.io.IOException {
    String rules =
        java.nio.file.Files.readString(
            Tools.projectRoot().resolve("k8s/base/observability/prometheus-rules.yaml"));
    List<String> names = new java.util.ArrayList<>();
    for (String line : rules.split("\n")) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("\\b(vigil_[a-z0-9_]+)").matcher(line);
      if (line.contains("expr:") || line.startsWith("            ")) {
        while (m.find()) {
          if (!names.contains(m.group(1))) {
            names.add(m.group(1));
          }
        }
      }
    }
    return names;
  }

  private RegionState.Process process(String name) {
    return state.processes.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private static List<String> instanceKeys(Client etcd) {
    String prefix = "/vigil/regions/us-south/zones/";
    try {
      return etcd
          .getKVClient()
          .get(
              ByteSequence.from(prefix, StandardCharsets.UTF_8),
              GetOption.builder().isPrefix(true).withKeysOnly(true).build())
          .get(5, TimeUnit.SECONDS)
          .getKvs()
          .stream()
          .map(kv -> kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()))
          .toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
