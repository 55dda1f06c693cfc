package io.vigil.cli.region;

import io.vigil.process.EtcdCluster;
import io.vigil.process.PatroniCluster;
import io.vigil.process.PostgresServer;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local region's PostgreSQL and what the services need of it: the monitoring services'
 * datasource, each zone's backup source, and the members a standby region streams from.
 */
final class DataLayer {

  private Map<String, String> serviceConfig;

  /** What a standby region's PostgreSQL streams from. */
  private final List<Integer> standbySources = new ArrayList<>();

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

  /**
   * Starts the region's PostgreSQL: a Patroni cluster, one member per zone, when Patroni is
   * installed and wanted; else one server, with a warning. Records its processes in {@code state}.
   */
  static DataLayer start(
      LocalRegion.Options options,
      Workspace ws,
      EtcdCluster etcd,
      RegionState state,
      PrintStream out) {
    DataLayer d = new DataLayer();
    d.serviceConfig = d.startDatabase(options, ws, etcd, state, out);
    return d;
  }

  private Map<String, String> startDatabase(
      LocalRegion.Options options,
      Workspace ws,
      EtcdCluster etcd,
      RegionState state,
      PrintStream out) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("quarkus.datasource.username", PostgresServer.USER);
    if (options.patroni() && Tools.hasPatroni()) {
      out.println("  starting PostgreSQL with Patroni (one member per zone, synchronous_mode) ...");
      List<String> names = options.zones().stream().map(z -> "pg-" + z).toList();
      PatroniCluster patroni =
          PatroniCluster.start(
              ws,
              etcd,
              RegionState.patroniScope(options.region()),
              names,
              PatroniCluster.Timings.FAST);
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
    out.println("  starting PostgreSQL (single server) ...");
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
    state.add(
        pg.process(), "postgres", options.zones().get(0), pg.jdbcUrl(PostgresServer.DATABASE));
    state.postgresUrl = pg.jdbcUrl(PostgresServer.DATABASE);
    state.postgresPassword = pg.password();
    state.dataLayer =
        "single PostgreSQL server: NOT highly available (losing it loses the data layer)";
    config.put("quarkus.datasource.reactive.url", pg.reactiveUrl());
    config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(PostgresServer.DATABASE));
    config.put("quarkus.datasource.password", pg.password());
    return config;
  }

  /** The monitoring services' datasource configuration (and the Patroni scope they follow). */
  Map<String, String> serviceConfig() {
    return serviceConfig;
  }

  /** The PostgreSQL member {@code zone}'s backup-service takes base backups and WAL from. */
  Map<String, String> backupSource(String zone) {
    return backupSources.getOrDefault(zone, Map.of());
  }

  /** Ports of the members a standby region's hot standby streams from. */
  List<Integer> standbySources() {
    return standbySources;
  }

  /** The replication user of the standby region's hot standby. */
  String standbyUser() {
    return standbyUser;
  }

  /** Its password. */
  String standbyUserPassword() {
    return standbyUserPassword;
  }
}
