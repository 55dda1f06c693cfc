package io.vigil.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.vigil.cli.drill.Failure;
import io.vigil.cli.drill.LoadDrill;
import io.vigil.cli.drill.RegionLoss;
import io.vigil.cli.drill.Zones;
import io.vigil.cli.region.LocalRegion;
import io.vigil.cli.region.RegionShutdown;
import io.vigil.cli.region.RegionState;
import io.vigil.process.EtcdCluster;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * What {@code ./vigil up}, the drills and {@code ./vigil down} do, on the packaged services: one
 * test per drill on one shared region (with its standby region), in order; each runs alone too
 * ({@code -Dtest=LocalRegionTest#...}), on a region of its own. The full drill set ({@code
 * -Dvigil.drills=full}) adds the Patroni leader and an etcd member and writes the results table to
 * {@code target/drill-results.md}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LocalRegionTest {

  private static final boolean FULL = "full".equals(System.getProperty("vigil.drills"));

  private final Path stateDir =
      Path.of("target", "region-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8);
  private final List<String> results = new ArrayList<>();
  private RegionState state;

  @BeforeAll
  void up() {
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
  }

  @AfterAll
  void down() throws Exception {
    if (state != null) {
      RegionShutdown.stop(state, out);
    }
    Workspace.deleteTree(stateDir.resolve("data"));
    if (FULL) {
      Files.writeString(
          Path.of("target/drill-results.md"),
          LoadDrill.Report.header() + "\n" + String.join("\n", results) + "\n");
    }
    // what the test printed (drill reports among it) stays for whoever reads the run
    try {
      Files.write(stateDir.resolve("test-progress.log"), progress.toByteArray());
    } catch (java.io.IOException e) {
      // the test's own outcome stands
    }
  }

  private RegionState.Process backupB() {
    return process("backup-zone-b");
  }

  private RegionState.Process monitoringC() {
    return process("monitoring-zone-c");
  }

  private LoadDrill.Report drill(Failure failure, Duration load) throws Exception {
    LoadDrill.Report report =
        LoadDrill.run(state, stateDir.resolve("region.json"), failure, load, out);
    out.println(report.row());
    results.add(report.row());
    return report;
  }

  @Test
  @Order(1)
  void upStartsEveryProcessReadyAndExportingWhatTheAlertsName() throws Exception {
    // 3 etcd, 3 Patroni members (1 PostgreSQL where Patroni is missing), S3Proxy, 6 services,
    // router; the standby region: etcd, a PostgreSQL hot standby, a backup-service, a router
    int expected = (Tools.hasPatroni() ? 14 : 12) + 4;
    assertThat(state.processes).hasSize(expected);
    assertThat(state.running()).hasSize(expected);
    if (Tools.hasPatroni()) {
      assertThat(state.dataLayer).startsWith("Patroni, 3 members");
    }
    // the demo tenant works through the monitoring API
    assertThat(Http.get(state.apiUrl + "/data_marts", Duration.ofSeconds(2)).status())
        .isEqualTo(401);
    // hostile bodies through the router: 400 in the API's format, nothing stored
    String providers = state.apiUrl + "/service_providers";
    String before = Http.as(state.apiKey).read(providers).body();
    for (String bad :
        List.of(
            "{\"name\": \"a\\u0000b\", \"service_type\": \"watson_machine_learning\"}",
            "{\"name\": \"a\", \"service_type\": \"watson_machine_learning\"} trailing",
            "{\"name\": \"a\", \"n\": 1e400}")) {
      Http.Response r = Http.as(state.apiKey).post(providers, bad, Duration.ofSeconds(10));
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.body()).as(bad).contains("\"trace\"").contains("\"errors\"");
    }
    assertThat(Http.as(state.apiKey).read(providers).body()).isEqualTo(before);
    assertThat(RegionState.read(stateDir.resolve("region.json")))
        .get()
        .satisfies(s -> assertThat(s.routerUrl).isEqualTo(state.routerUrl));
    for (RegionState.Process p : state.processes) {
      if (p.role().endsWith("-service")) {
        assertThat(Http.get(p.management() + "/q/health/ready").status())
            .as(p.name())
            .isEqualTo(200);
        assertThat(Http.get(p.management() + "/q/health/started").status())
            .as(p.name())
            .isEqualTo(200);
        // metrics, health and OpenAPI only on the management port: not on the API's
        assertThat(Http.get(p.endpoint() + "/q/metrics").status())
            .as(p.name() + " API port")
            .isEqualTo(404);
      }
    }
    assertThat(Http.get(state.routerUrl + "/q/metrics").status())
        .as("through the router")
        .isEqualTo(404);

    // every metric the Kubernetes alerts and the model dashboard name is exported by a service of
    // the
    // region; the model metrics once a monitor has run (the zone drill checks those)
    List<String> alerting = observedMetrics();
    assertThat(alerting)
        .contains(
            "vigil_router_zone_up", "vigil_backup_rpo_exposure_seconds", "vigil_model_issues");
    awaitExported(alerting.stream().filter(m -> !MODEL_METRIC.matcher(m).find()).toList());
  }

  private static final java.util.regex.Pattern MODEL_METRIC =
      java.util.regex.Pattern.compile("^vigil_(model|monitor|notifications)_");

  private void awaitExported(List<String> metrics) {
    Readiness.await(
        "every metric named by k8s/base/observability exported: " + metrics,
        Duration.ofSeconds(30),
        () -> {
          StringBuilder exported = new StringBuilder();
          for (RegionState.Process p : state.processes) {
            if (p.role().endsWith("-service") && p.running()) {
              exported.append(Http.get(p.management() + "/q/metrics").body()).append('\n');
            }
          }
          String all = exported.toString();
          return metrics.stream()
              .allMatch(m -> all.contains("\n" + m + "{") || all.contains("\n" + m + " "));
        });
  }

  /**
   * A zone killed, then hung, under steady reads and writes through the router: no failed request,
   * no lost acknowledged record. The zone holds neither the PostgreSQL leader nor its synchronous
   * standby (losing those is the Patroni failover case). 16 s: when the zone holds the backup
   * leader, writes wait some 8 s for the next one to ship their WAL to the standby region, and the
   * drill still needs enough acknowledged writes to mean something.
   */
  private void zoneDrill(Failure failure) throws Exception {
    LoadDrill.Report report = drill(failure, Duration.ofSeconds(16));
    assertThat(report.acknowledged()).as(report.row()).isGreaterThan(20);
    assertThat(report.reads()).as(report.row()).isGreaterThan(100);
    assertThat(report.failedReads()).as(report.row()).isZero();
    assertThat(report.failedWrites()).as(report.row()).isZero();
    assertThat(report.lost()).as(report.row()).isZero();
    // a breaching monitor ran every second: each breach reached the receiver, none was lost
    assertThat(report.notified()).as(report.row()).isGreaterThan(3);
    assertThat(report.notificationsLost()).as(report.row()).isZero();
    for (RegionState.Process p : state.processes) {
      assertThat(p.running()).as(p.name() + " running after the drill").isTrue();
    }
    // the model metrics the alerts and the model-health dashboard name are exported now
    awaitExported(observedMetrics().stream().filter(m -> MODEL_METRIC.matcher(m).find()).toList());
  }

  @Test
  @Order(2)
  void aZoneKilledUnderLoadFailsNoRequestAndLosesNoRecord() throws Exception {
    zoneDrill(Failure.zoneKilled(quietZone()));
  }

  @Test
  @Order(3)
  void aZoneHungUnderLoadFailsNoRequestAndLosesNoRecord() throws Exception {
    zoneDrill(Failure.zoneHung(quietZone()));
  }

  @Test
  @Order(4)
  void theBackupLeaderKilledMidBackupIsReplacedAndWalKeepsShipping() throws Exception {
    // another instance takes over within the lease and completes a base backup (the drill fails
    // when none completes within 60 s of the kill)
    LoadDrill.Report takeover = drill(Failure.backupLeader(), Duration.ofSeconds(15));
    assertThat(takeover.lost()).as(takeover.row()).isZero();
    assertThat(takeover.failedWrites()).as(takeover.row()).isZero();
    assertThat(takeover.observed()).as(takeover.row()).contains("completed a base backup");

    // WAL is streamed into the region's bucket by the (new) leader through the slot, the RPO is
    // kept, and every artifact reaches the standby region's repository
    Readiness.await(
        "the backup leader streams WAL and keeps the PostgreSQL RPO",
        Duration.ofSeconds(30),
        this::leaderStreamsWalWithinTheRpo);
    Path dr = stateDir.resolve("dr-backups/us-south");
    Readiness.await(
        "base backups, snapshots and WAL copied to the standby region's repository",
        Duration.ofSeconds(60),
        () ->
            Files.isDirectory(dr.resolve("pg/wal"))
                && Files.isDirectory(dr.resolve("etcd"))
                && Files.isDirectory(dr.resolve("pg/base")));
  }

  /**
   * The full set only ({@code -Dvigil.drills=full}): the Patroni leader and an etcd member, each
   * under load. No lost acknowledged record in any case; failed requests are reported, not required
   * to be zero (these are not zone losses).
   */
  @TestFactory
  @Order(5)
  Stream<DynamicTest> theFullDrillSetLosesNoAcknowledgedRecord() {
    List<Failure> failures =
        FULL ? List.of(Failure.patroniLeader(), Failure.etcdMember("etcd-2")) : List.of();
    return failures.stream()
        .map(
            failure ->
                DynamicTest.dynamicTest(
                    failure.name(),
                    () -> {
                      LoadDrill.Report report = drill(failure, Duration.ofSeconds(30));
                      assertThat(report.lost()).as(report.row()).isZero();
                      assertThat(report.acknowledged()).as(report.row()).isGreaterThan(20);
                    }));
  }

  /**
   * The console in headless chromium: the region view live through a zone kill and a drain from the
   * page, the model view of a breaching monitor, wrong keys, another tenant.
   */
  @Test
  @Order(6)
  void theConsoleShowsTheRegionLiveAndATenantsModels() throws Exception {
    ConsoleChecks console =
        new ConsoleChecks(
            state, stateDir.resolve("region.json"), out, Path.of("target").toAbsolutePath());
    console.regionView(quietZone());
    console.wrongKey();
    console.modelView();
  }

  @Test
  @Order(7)
  void aStoppedInstanceDeregistersAtOnceAndACrashedOneWhenItsLeaseRunsOut() throws Exception {
    try (Client etcd = etcdAsRoot()) {
      assertThat(instanceKeys(etcd))
          .containsExactlyInAnyOrder(
              "zone-a/instances/monitoring-service/monitoring-zone-a",
              "zone-b/instances/monitoring-service/monitoring-zone-b",
              "zone-c/instances/monitoring-service/monitoring-zone-c",
              "zone-a/instances/backup-service/backup-zone-a",
              "zone-b/instances/backup-service/backup-zone-b",
              "zone-c/instances/backup-service/backup-zone-c",
              "zone-a/instances/router-service/router");
      // the hijack of a router's traffic: an anonymous client cannot register a fake instance
      try (Client anonymous = Client.builder().endpoints(state.etcdEndpoints.split(",")).build()) {
        assertThatThrownBy(
                () ->
                    anonymous
                        .getKVClient()
                        .put(
                            ByteSequence.from(
                                "/vigil/regions/us-south/zones/zone-a/instances/monitoring-service/fake",
                                StandardCharsets.UTF_8),
                            ByteSequence.from(
                                "{\"url\":\"http://127.0.0.1:9\"}", StandardCharsets.UTF_8))
                        .get(5, TimeUnit.SECONDS))
            .hasMessageContaining("user name is empty");
      }

      // graceful stop: the instance deregisters first thing, long before its lease would expire
      long stoppedAt = System.nanoTime();
      ManagedProcess.signal(backupB().pid(), "TERM");
      Readiness.await(
          "backup-zone-b deregistered",
          Duration.ofSeconds(3),
          () -> !instanceKeys(etcd).contains("zone-b/instances/backup-service/backup-zone-b"));
      assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(3));

      // crash: the key goes when the 5 s lease runs out
      ManagedProcess.signal(monitoringC().pid(), "KILL");
      Readiness.await(
          "monitoring-zone-c's registration expired",
          Duration.ofSeconds(12),
          () ->
              !instanceKeys(etcd)
                  .contains("zone-c/instances/monitoring-service/monitoring-zone-c"));
    } finally {
      Zones.startAgain(
          state, stateDir.resolve("region.json"), List.of(backupB(), monitoringC()), out);
    }
  }

  @Test
  @Order(8)
  void theWholeRegionLostIsServedFromTheStandbyRegionWithNoRecordLost() throws Exception {
    // a restore from the standby region's copies, served through the router's region failover
    LoadDrill.Report regionLoss = drill(new RegionLoss(stateDir), Duration.ofSeconds(45));
    assertThat(regionLoss.acknowledged()).as(regionLoss.row()).isGreaterThan(20);
    // with a standby region a write is acknowledged only once its WAL is verified in the standby
    // region's repository: the restore from there holds every acknowledged record
    assertThat(regionLoss.lost()).as(regionLoss.row()).isZero();
    // notifications in the restored outbox are delivered from the standby region
    assertThat(regionLoss.notificationsLost()).as(regionLoss.row()).isZero();
    assertThat(regionLoss.recoverySeconds()).as(regionLoss.row()).isLessThan(60.0);
    assertThat(regionLoss.observed()).as(regionLoss.row()).contains("us-east serving");
  }

  @Test
  @Order(9)
  void downLeavesNoProcessBehind() {
    List<RegionState.Process> left = RegionShutdown.stop(state, out);
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
        String status = state.operator().read(p.endpoint() + "/backups/status").body();
        if (status.contains("\"leader\":true")) {
          try {
            var s = new com.fasterxml.jackson.databind.ObjectMapper().readTree(status);
            // through the replication slot Patroni keeps permanent on the primary
            return s.path("wal").path("streaming").asBoolean()
                && s.path("wal").path("slot").asText().equals(PostgresServer.WAL_ARCHIVE_SLOT)
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

  /** A zone whose PostgreSQL member is neither the Patroni leader nor its synchronous standby. */
  private String quietZone() throws Exception {
    if (!Tools.hasPatroni()) {
      return "zone-c"; // the single PostgreSQL runs in zone-a
    }
    try (Client etcd = etcdAsRoot()) {
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

  /** A client of the region's etcd acting as root (etcd's authentication is on). */
  private Client etcdAsRoot() {
    EtcdCluster.User root = state.etcdUser(EtcdCluster.ROOT);
    return Client.builder()
        .endpoints(state.etcdEndpoints.split(","))
        .user(ByteSequence.from(root.name(), StandardCharsets.UTF_8))
        .password(ByteSequence.from(root.password(), StandardCharsets.UTF_8))
        .build();
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
  /** Every metric the PrometheusRules and the model-health dashboard in k8s/ name. */
  private static List<String> observedMetrics() throws java.io.IOException {
    java.nio.file.Path dir = Tools.projectRoot().resolve("k8s/base/observability");
    List<String> names = new java.util.ArrayList<>();
    java.util.regex.Pattern metric = java.util.regex.Pattern.compile("\\b(vigil_[a-z0-9_]+)");
    List<String> expressions = new java.util.ArrayList<>();
    for (String line :
        java.nio.file.Files.readString(dir.resolve("prometheus-rules.yaml")).split("\n")) {
      if (line.contains("expr:") || line.startsWith("            ")) {
        expressions.add(line);
      }
    }
    // the overview dashboard also charts counters that exist only once their event happened
    // (retries, ejections, restore times); the model-health one is checked whole
    for (String dashboard : List.of("vigil-model-health.json")) {
      com.fasterxml.jackson.databind.JsonNode d =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(dir.resolve(dashboard).toFile());
      d.findValues("expr").forEach(e -> expressions.add(e.asText()));
    }
    for (String e : expressions) {
      java.util.regex.Matcher m = metric.matcher(e);
      while (m.find()) {
        if (!names.contains(m.group(1))) {
          names.add(m.group(1));
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
          // instances only: a zone drained and activated (the console test) keeps its admin state
          .filter(k -> k.contains("/instances/"))
          .toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
