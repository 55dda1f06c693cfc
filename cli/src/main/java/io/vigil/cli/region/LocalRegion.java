package io.vigil.cli.region;

import io.vigil.process.EtcdCluster;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.PatroniCluster;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.S3ProxyServer;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    state.operatorKey = "op_" + java.util.UUID.randomUUID().toString().replace("-", "");
    long t0 = System.nanoTime();
    try {
      step("etcd (3 members)");
      EtcdCluster etcd = EtcdCluster.start(ws, "etcd", 3);
      for (int i = 0; i < 3; i++) {
        EtcdCluster.Member m = etcd.members().get(i);
        state.add(m.process(), "etcd", zone(i), m.clientUrl());
      }
      state.etcdEndpoints = etcd.endpointList();
      save();

      Map<String, String> database = startDatabase(etcd);
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
      common.put("vigil.region.etcd.endpoints", etcd.endpointList());
      for (String zone : options.zones()) {
        Map<String, String> monitoring = new LinkedHashMap<>(common);
        monitoring.put("vigil.region.zone", zone);
        monitoring.putAll(database);
        monitoring.put("vigil.monitoring.operator-key", state.operatorKey);
        if (options.standbyRegion() != null) {
          // with a standby region a write is acknowledged once it would survive losing this one:
          // its WAL verified in the standby region's repository
          monitoring.put("vigil.monitoring.durability.standby-region", "true");
        }
        service("monitoring-service", "monitoring-" + zone, zone, monitoring);

        Map<String, String> backup = new LinkedHashMap<>(common);
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
        if (options.standbyRegion() != null) {
          // writes wait for their WAL to reach the standby region: ship it twice a second
          backup.put("vigil.backup.wal.partial-interval", "500ms");
        }
        backup.putAll(backupSources.getOrDefault(zone, Map.of()));
        service("backup-service", "backup-" + zone, zone, backup);
      }
      createDemoTenant();
      Map<String, String> router = new LinkedHashMap<>(common);
      router.put("vigil.region.zone", zone(0));
      if (options.standbyRegion() != null) {
        router.put("vigil.router.standby.routers", upStandbyRegion());
      }
      state.routerUrl = service("router-service", "router", null, router);
      state.apiUrl = state.routerUrl + "/openscale/" + state.serviceInstanceId + "/v2";
      save();
      out.printf("Region %s is up in %.1f s.%n", options.region(), (System.nanoTime() - t0) / 1e9);
      return state;
    } catch (RuntimeException e) {
      out.println("Start failed: " + e.getMessage());
      out.println("Stopping what was started...");
      down(state, out);
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
    state.standbyRepository = drRepository().toString();
    if (!standbySources.isEmpty()) {
      step("standby region " + region + ": PostgreSQL hot standby fed from " + options.region());
      PostgresServer standby =
          PostgresServer.startStandby(
              ws,
              "dr-postgres",
              standbySources,
              standbyUser,
              standbyUserPassword,
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
    common.put("vigil.region.etcd.endpoints", etcd.endpointList());
    Map<String, String> backup = new LinkedHashMap<>(common);
    backup.put("vigil.backup.repository.path", drRepository().toString());
    backup.put(
        "vigil.backup.repository.staging",
        options.stateDir().resolve("backup-staging").resolve(region).toString());
    service("backup-service", "dr-backup", zone, backup, "dr-backup-service");
    String url = service("router-service", "dr-router", zone, common, "dr-router-service");
    state.standbyRouterUrl = url;
    save();
    return url;
  }

  /** The standby region's backup repository: copies of every artifact of this region. */
  public Path drRepository() {
    return options.stateDir().resolve("dr-backups").toAbsolutePath();
  }

  /** What a standby region's PostgreSQL streams from. */
  private final List<Integer> standbySources = new java.util.ArrayList<>();

  private String standbyUser;
  private String standbyUserPassword;

  /** Per zone: the PostgreSQL member its backup-service takes base backups from. */
  private final Map<String, Map<String, String>> backupSources = new LinkedHashMap<>();

  private static Map<String, String> backupSource(int port, String user, String password) {
    return Map.of(
        "vigil.backup.postgres.host",
        "127.0.0.1",
        "vigil.backup.postgres.port",
        Integer.toString(port),
        "vigil.backup.postgres.user",
        user,
        "vigil.backup.postgres.password",
        password);
  }

  private Map<String, String> startDatabase(EtcdCluster etcd) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("quarkus.datasource.username", PostgresServer.USER);
    if (options.patroni() && Tools.hasPatroni()) {
      step("PostgreSQL with Patroni (one member per zone, synchronous_mode)");
      List<String> names = options.zones().stream().map(z -> "pg-" + z).toList();
      PatroniCluster patroni =
          PatroniCluster.start(
              ws, etcd, "vigil-" + options.region(), names, PatroniCluster.Timings.FAST);
      for (int i = 0; i < names.size(); i++) {
        PatroniCluster.Member m = patroni.members().get(i);
        state.add(
            m.process(),
            "postgres",
            options.zones().get(i),
            "postgresql://127.0.0.1:" + m.pgPort() + " (patroni " + m.restUrl() + ")",
            m.postmasterPidFile().toString());
      }
      for (int i = 0; i < names.size(); i++) {
        Map<String, String> source =
            new LinkedHashMap<>(
                backupSource(
                    patroni.members().get(i).pgPort(),
                    "replicator",
                    patroni.replicationPassword()));
        standbySources.add(patroni.members().get(i).pgPort());
        // WAL is streamed from the Patroni leader, followed across failovers
        source.put("vigil.backup.postgres.patroni-scope", patroni.scope());
        backupSources.put(options.zones().get(i), source);
      }
      standbyUser = "replicator";
      standbyUserPassword = patroni.replicationPassword();
      PatroniCluster.Member leader = patroni.awaitLeader(Duration.ofSeconds(60));
      String hosts =
          String.join(",", patroni.members().stream().map(m -> "127.0.0.1:" + m.pgPort()).toList());
      state.postgresUrl =
          "jdbc:postgresql://"
              + hosts
              + "/"
              + PostgresServer.DATABASE
              + "?targetServerType=primary";
      state.postgresPassword = patroni.password();
      state.dataLayer =
          "Patroni, "
              + names.size()
              + " members with synchronous_mode (scope "
              + patroni.scope()
              + ", leader "
              + leader.name()
              + ")";
      config.put("vigil.monitoring.primary.patroni-scope", patroni.scope());
      config.put(
          "quarkus.datasource.reactive.url",
          "postgresql://127.0.0.1:" + leader.pgPort() + "/" + PostgresServer.DATABASE);
      config.put("quarkus.datasource.jdbc.url", state.postgresUrl);
      config.put("quarkus.datasource.password", patroni.password());
      return config;
    }
    step("PostgreSQL (single server)");
    out.println(
        "  WARNING: "
            + (options.patroni()
                ? "Patroni is not installed (apt-get install patroni)"
                : "Patroni is turned off")
            + ": one PostgreSQL server, the data layer is NOT highly available");
    PostgresServer pg = PostgresServer.start(ws, "postgres");
    standbySources.add(pg.port());
    standbyUser = PostgresServer.USER;
    standbyUserPassword = pg.password();
    for (String zone : options.zones()) {
      backupSources.put(zone, backupSource(pg.port(), PostgresServer.USER, pg.password()));
    }
    state.add(pg.process(), "postgres", zone(0), pg.jdbcUrl(PostgresServer.DATABASE));
    state.postgresUrl = pg.jdbcUrl(PostgresServer.DATABASE);
    state.postgresPassword = pg.password();
    state.dataLayer =
        "single PostgreSQL server: NOT highly available (losing it loses the data layer)";
    config.put("quarkus.datasource.reactive.url", pg.reactiveUrl());
    config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(PostgresServer.DATABASE));
    config.put("quarkus.datasource.password", pg.password());
    return config;
  }

  private String service(String module, String name, String zone, Map<String, String> config) {
    return service(module, name, zone, config, module);
  }

  private String service(
      String module, String name, String zone, Map<String, String> config, String role) {
    step(
        name
            + (options.aot() == QuarkusService.Aot.AUTO && QuarkusService.aotSupported()
                ? " (AOT cache)"
                : ""));
    int port = Ports.free();
    Map<String, String> all = new LinkedHashMap<>(config);
    all.put("vigil.region.instance-id", name);
    ManagedProcess p = QuarkusService.start(ws, name, module, port, all, options.aot());
    String url = "http://127.0.0.1:" + port;
    state.add(p, role, zone, url);
    save();
    return url;
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

  private String zone(int i) {
    return options.zones().get(i % options.zones().size());
  }

  private void step(String what) {
    out.println("  starting " + what + " ...");
  }

  private void save() {
    state.write(stateFile);
  }

  /**
   * Stops every process of a region in three waves, services first, then storage, then etcd: in
   * each wave SIGTERM to every process (SIGINT, fast shutdown, to PostgreSQL), up to 15 s for them
   * to exit, then SIGKILL to the process groups of whatever is left. Answers the processes that
   * could not be stopped (empty when all are gone).
   */
  public static List<RegionState.Process> down(RegionState state, PrintStream out) {
    List<List<RegionState.Process>> waves = new ArrayList<>();
    waves.add(state.processes.stream().filter(p -> p.role().endsWith("-service")).toList());
    waves.add(
        state.processes.stream()
            .filter(p -> !p.role().endsWith("-service") && !p.role().equals("etcd"))
            .toList());
    waves.add(state.processes.stream().filter(p -> p.role().equals("etcd")).toList());
    for (List<RegionState.Process> wave : waves) {
      List<RegionState.Process> running = wave.stream().filter(RegionState.Process::alive).toList();
      for (RegionState.Process p : running) {
        out.println("  stopping " + p.name() + " (pid " + p.pid() + ")");
        if (p.running()) {
          ManagedProcess.signal(p.pid(), p.role().equals("postgres") ? "INT" : "TERM");
        } else {
          // Patroni is gone, its PostgreSQL is not: a fast shutdown of the postmaster
          p.detached().ifPresent(h -> ManagedProcess.signal(h.pid(), "INT"));
        }
      }
      awaitExit(running, Duration.ofSeconds(15));
      for (RegionState.Process p : running) {
        if (p.alive()) {
          out.println("  " + p.name() + " did not stop in 15 s: SIGKILL");
          p.signal("KILL");
        }
      }
      awaitExit(running, Duration.ofSeconds(5));
    }
    return state.running();
  }

  private static void awaitExit(List<RegionState.Process> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (processes.stream().anyMatch(RegionState.Process::alive)
        && System.nanoTime() < deadline) {
      Readiness.sleep(Duration.ofMillis(50));
    }
  }
}
