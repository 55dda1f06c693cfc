package io.vigil.cli.region;

import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Http;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.S3ProxyServer;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole region on one machine, as {@code ./vigil up} starts it: a three-member etcd, PostgreSQL
 * (Patroni, one member per zone, when installed), S3Proxy, a monitoring-service and a
 * backup-service per zone, and the router. Every process runs detached, on free loopback ports,
 * with data and logs under the state directory; what runs is written to {@code region.json} as it
 * starts.
 */
public final class LocalRegion {

  /** Options of {@code vigil up}; {@code patroni} asks for the Patroni cluster where installed. */
  public record Options(
      Path stateDir,
      String region,
      List<String> zones,
      QuarkusService.Aot aot,
      boolean patroni,
      String standbyRegion) {

    /** A region without a standby region. */
    public Options(
        Path stateDir, String region, List<String> zones, QuarkusService.Aot aot, boolean patroni) {
      this(stateDir, region, zones, aot, patroni, null);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final Workspace ws;
  private final RegionState state = new RegionState();
  private DataLayer data;
  private final Path stateFile;

  /**
   * @param options what to start and where
   * @param out where progress goes
   */
  public LocalRegion(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.stateFile = options.stateDir().resolve("region.json");
    this.ws =
        new Workspace(options.stateDir().resolve("data"), options.stateDir().resolve("logs"), true);
  }

  /** Starts the region; on failure stops what it started and rethrows. */
  public RegionState up() {
    state.region = options.region();
    state.operatorKey = RegionState.newKey("op_");
    state.readerKey = RegionState.newKey("ro_");
    state.secretsKey = RegionState.newSecretsKey();
    state.backupKey = RegionState.newBackupKey();
    long t0 = System.nanoTime();
    try {
      step("etcd (3 members)");
      EtcdCluster etcd = EtcdCluster.start(ws, "etcd", 3);
      for (int i = 0; i < 3; i++) {
        EtcdCluster.Member m = etcd.members().get(i);
        state.add(m.process(), "etcd", zone(i), m.clientUrl());
      }
      state.etcdEndpoints = etcd.endpointList();
      Map<String, EtcdCluster.User> users =
          EtcdRoles.addServiceUsers(
              etcd,
              options.region(),
              Optional.of(EtcdRoles.patroniPrefix(RegionState.patroniScope(options.region()))));
      state.etcdPasswords.putAll(passwords(etcd));
      save();

      data = DataLayer.start(options, ws, etcd, state, out);
      Map<String, String> database = data.serviceConfig();
      state.etcdPasswords.putAll(passwords(etcd));
      save();

      step("S3Proxy (backup object storage)");
      S3ProxyServer s3 = S3ProxyServer.start(ws, "s3proxy");
      state.add(s3.process(), "s3", null, s3.endpoint());
      state.s3Endpoint = s3.endpoint();
      state.s3AccessKey = s3.accessKey();
      state.s3SecretKey = s3.secretKey();
      save();

      Map<String, String> common = new LinkedHashMap<>();
      common.put("vigil.region.name", options.region());
      for (String zone : options.zones()) {
        Map<String, String> monitoring = new LinkedHashMap<>(common);
        monitoring.putAll(etcd.serviceConfig(users.get(EtcdRoles.MONITORING)));
        monitoring.put("vigil.region.zone", zone);
        monitoring.putAll(state.monitoringSettings());
        monitoring.putAll(database);
        if (options.standbyRegion() != null) {
          // with a standby region a write is acknowledged once it would survive losing this one:
          // its WAL verified in the standby region's repository
          monitoring.put("vigil.monitoring.durability.standby-region", "true");
        }
        service("monitoring-service", "monitoring-" + zone, zone, monitoring);

        Map<String, String> backup = new LinkedHashMap<>(common);
        backup.putAll(etcd.serviceConfig(users.get(EtcdRoles.BACKUP)));
        backup.put("vigil.region.zone", zone);
        // the region's repository is a bucket in S3Proxy; every artifact is copied to the
        // standby region's repository (a directory) and verified there
        backup.put("vigil.backup.repository.s3.endpoint", s3.endpoint());
        backup.put("vigil.backup.repository.s3.bucket", "vigil-backups");
        backup.put("vigil.backup.repository.s3.access-key", s3.accessKey());
        backup.put("vigil.backup.repository.s3.secret-key", s3.secretKey());
        backup.put(
            "vigil.backup.repository.staging",
            options.stateDir().resolve("backup-staging").resolve(zone).toString());
        backup.put("vigil.backup.wal.spool", options.stateDir().resolve("wal-spool").toString());
        backup.put("vigil.backup.copy.path", drRepository().toString());
        backup.put("vigil.backup.restore-root", restoreRoot().toString());
        // every artifact is encrypted before it is stored, here and in the copy
        backup.put("vigil.backup.encryption.keys", state.backupKey);
        if (options.standbyRegion() != null) {
          // writes wait for their WAL to reach the standby region: ship it twice a second
          backup.put("vigil.backup.wal.partial-interval", "500ms");
        }
        backup.putAll(data.backupSource(zone));
        service("backup-service", "backup-" + zone, zone, backup);
      }
      createDemoTenant();
      Map<String, String> router = new LinkedHashMap<>(common);
      router.putAll(etcd.serviceConfig(users.get(EtcdRoles.ROUTER)));
      router.put("vigil.region.zone", zone(0));
      if (options.standbyRegion() != null) {
        router.put("vigil.router.standby.routers", upStandbyRegion());
      }
      state.routerUrl = service("router-service", "router", null, router).url();
      state.apiUrl = state.routerUrl + "/openscale/" + state.serviceInstanceId + "/v2";
      save();
      // up means the API answers: the router has checked an instance ready in some zone
      io.vigil.process.Readiness.await(
          "the router routing to a zone",
          java.time.Duration.ofSeconds(30),
          () ->
              state
                  .operator()
                  .read(state.routerUrl + "/routing/zones")
                  .body()
                  .contains("\"state\":\"UP\""));
      out.printf("Region %s is up in %.1f s.%n", options.region(), (System.nanoTime() - t0) / 1e9);
      return state;
    } catch (RuntimeException e) {
      out.println("Start failed: " + e.getMessage());
      out.println("Stopping what was started...");
      RegionShutdown.stop(state, out);
      throw e;
    }
  }

  /**
   * Patroni (one member per zone, synchronous mode, fast timings) when it is installed, else a
   * single PostgreSQL with a warning; answers the monitoring service's datasource settings.
   */
  /** The zone of the standby region's processes. */
  public static String standbyZone(String standbyRegion) {
    return standbyRegion + "-a";
  }

  /**
   * The standby region ({@code --dr}): its own etcd, a PostgreSQL hot standby streaming from this
   * region's cluster, a backup-service whose repository holds this region's copies, and a router
   * (the region's router fails over to it). It serves once a region loss is recovered into it: a
   * restore from the repository, then a monitoring-service on the restored database ({@code vigil
   * drill region-loss}).
   */
  private String upStandbyRegion() {
    String region = options.standbyRegion();
    String zone = standbyZone(region);
    state.standbyRegion = region;
    step("standby region " + region + ": etcd");
    EtcdCluster etcd = EtcdCluster.start(ws, "dr-etcd", 1);
    state.add(etcd.members().get(0).process(), "dr-etcd", zone, etcd.members().get(0).clientUrl());
    state.standbyEtcdEndpoints = etcd.endpointList();
    Map<String, EtcdCluster.User> users = EtcdRoles.addServiceUsers(etcd, region, Optional.empty());
    state.standbyEtcdPasswords.putAll(passwords(etcd));
    state.standbyRepository = drRepository().toString();
    if (!data.standbySources().isEmpty()) {
      step("standby region " + region + ": PostgreSQL hot standby fed from " + options.region());
      PostgresServer standby =
          PostgresServer.startStandby(
              ws,
              "dr-postgres",
              data.standbySources(),
              data.standbyUser(),
              data.standbyUserPassword(),
              state.postgresPassword);
      state.add(
          standby.process(),
          "dr-postgres",
          zone,
          "postgresql://127.0.0.1:" + standby.port() + " (hot standby)");
    }
    save();
    Map<String, String> common = new LinkedHashMap<>();
    common.put("vigil.region.name", region);
    common.put("vigil.region.zone", zone);
    Map<String, String> backup = new LinkedHashMap<>(common);
    backup.putAll(etcd.serviceConfig(users.get(EtcdRoles.BACKUP)));
    backup.put("vigil.backup.repository.path", drRepository().toString());
    backup.put("vigil.backup.restore-root", restoreRoot().toString());
    backup.put("vigil.backup.encryption.keys", state.backupKey);
    backup.put(
        "vigil.backup.repository.staging",
        options.stateDir().resolve("backup-staging").resolve(region).toString());
    service("backup-service", "dr-backup", zone, backup, "dr-backup-service");
    Map<String, String> router = new LinkedHashMap<>(common);
    router.putAll(etcd.serviceConfig(users.get(EtcdRoles.ROUTER)));
    QuarkusService.Started started =
        service("router-service", "dr-router", zone, router, "dr-router-service");
    state.standbyRouterUrl = started.url();
    save();
    // the region's router checks the standby router's readiness on its management interface
    return started.url() + "|" + started.managementUrl();
  }

  /** The standby region's backup repository: copies of every artifact of this region. */
  public Path drRepository() {
    return options.stateDir().resolve("dr-backups").toAbsolutePath();
  }

  /** Where the region's backup-services may restore into: {@code <state dir>/restores}. */
  private Path restoreRoot() {
    return restoreRoot(options.stateDir());
  }

  /** The restore root of the local region whose state is in {@code stateDir}. */
  public static Path restoreRoot(Path stateDir) {
    return stateDir.resolve("restores").toAbsolutePath();
  }

  private QuarkusService.Started service(
      String module, String name, String zone, Map<String, String> config) {
    return service(module, name, zone, config, module);
  }

  private QuarkusService.Started service(
      String module, String name, String zone, Map<String, String> config, String role) {
    step(
        name
            + (options.aot() == QuarkusService.Aot.AUTO && QuarkusService.aotSupported()
                ? " (AOT cache)"
                : ""));
    int port = Ports.free();
    Map<String, String> all = new LinkedHashMap<>(config);
    all.put("vigil.region.instance-id", name);
    all.put("vigil.security.operator-key", state.operatorKey);
    all.put("vigil.security.reader-key", state.readerKey);
    QuarkusService.Started started =
        QuarkusService.start(ws, name, module, port, all, options.aot());
    state.add(started, role, zone);
    save();
    return started;
  }

  private void createDemoTenant() {
    step("demo service instance");
    String monitoring =
        state.processes.stream()
            .filter(p -> p.role().equals("monitoring-service"))
            .findFirst()
            .orElseThrow()
            .endpoint();
    Http.Response r =
        Http.postJson(
            monitoring + "/admin/v1/service_instances",
            "{\"name\":\"demo\"}",
            "Authorization",
            "Bearer " + state.operatorKey);
    if (r.status() != 201) {
      throw new IllegalStateException(
          "creating the demo service instance failed: " + r.status() + " " + r.body());
    }
    try {
      var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
      state.serviceInstanceId = json.path("id").asText();
      state.apiKey = json.path("api_key").asText();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    save();
  }

  private static Map<String, String> passwords(EtcdCluster etcd) {
    Map<String, String> passwords = new LinkedHashMap<>();
    etcd.users().forEach((name, user) -> passwords.put(name, user.password()));
    return passwords;
  }

  private String zone(int i) {
    return options.zones().get(i % options.zones().size());
  }

  private void step(String what) {
    out.println("  starting " + what + " ...");
  }

  private void save() {
    state.write(stateFile);
  }
}
