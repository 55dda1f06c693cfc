package io.vigil.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A real Patroni-managed PostgreSQL cluster on etcd (v3 API), one member per zone, with {@code
 * synchronous_mode} so a commit is acknowledged only once a standby has it. Timings default to the
 * fast ones of DESIGN.md §6 (ttl 10, loop_wait 2, retry_timeout 4).
 *
 * <p>Over 300 lines on purpose: one cluster of processes (configuration, start, kill, restart,
 * leader and replica observation) that tests and the local region drive as a unit; each method is
 * short.
 */
public final class PatroniCluster implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Timings of the Patroni loop. */
  public record Timings(int ttl, int loopWait, int retryTimeout) {
    /** ttl 10 / loop_wait 2 / retry_timeout 4: writes back within about 10 s of a leader loss. */
    public static final Timings FAST = new Timings(10, 2, 4);
  }

  /** One member: Patroni and the PostgreSQL it manages. */
  public static final class Member {
    private final String name;
    private final int pgPort;
    private final int restPort;
    private final Path dir;
    private ManagedProcess process;

    Member(String name, int pgPort, int restPort, Path dir) {
      this.name = name;
      this.pgPort = pgPort;
      this.restPort = restPort;
      this.dir = dir;
    }

    /** Member name, e.g. {@code pg-zone-a}. */
    public String name() {
      return name;
    }

    /** PostgreSQL port. */
    public int pgPort() {
      return pgPort;
    }

    /** Patroni REST API URL. */
    public String restUrl() {
      return "http://127.0.0.1:" + restPort;
    }

    /** The Patroni process (PostgreSQL runs under it), or null when killed. */
    public ManagedProcess process() {
      return process;
    }

    Path pgdata() {
      return dir.resolve("pgdata");
    }

    /** The {@code postmaster.pid} of the member's PostgreSQL, which Patroni starts detached. */
    public Path postmasterPidFile() {
      return pgdata().resolve("postmaster.pid");
    }
  }

  private final Workspace workspace;
  private final EtcdCluster etcd;
  private final String scope;
  private final String password = UUID.randomUUID().toString().replace("-", "");
  private final String replicationPassword = UUID.randomUUID().toString().replace("-", "");
  private final Timings timings;
  private final List<Member> members = new ArrayList<>();
  private final EtcdCluster.User etcdUser;

  private PatroniCluster(
      Workspace workspace, EtcdCluster etcd, String scope, List<String> names, Timings timings) {
    this.workspace = workspace;
    this.etcd = etcd;
    this.scope = scope;
    this.timings = timings;
    this.etcdUser =
        etcd.addUser(
            "patroni-" + scope,
            List.of(EtcdCluster.Grant.readWrite(EtcdRoles.patroniPrefix(scope))));
    for (String n : names) {
      members.add(new Member(n, Ports.free(), Ports.free(), workspace.dir(n)));
    }
  }

  /**
   * Starts one Patroni member per name on the given etcd, waits for a leader, for every member to
   * run, and for a synchronous standby; then creates the {@code vigil} database.
   */
  public static PatroniCluster start(
      Workspace workspace, EtcdCluster etcd, String scope, List<String> names, Timings timings) {
    PatroniCluster cluster = new PatroniCluster(workspace, etcd, scope, names, timings);
    Member first = cluster.members.get(0);
    cluster.launch(first);
    cluster.awaitLeader(Duration.ofSeconds(90));
    for (Member m : cluster.members.subList(1, cluster.members.size())) {
      cluster.launch(m);
    }
    for (Member m : cluster.members) {
      Readiness.await(
          m.process,
          m.name + " running",
          Duration.ofSeconds(120),
          () -> Http.get(m.restUrl() + "/health").status() == 200);
    }
    if (cluster.members.size() > 1) {
      Readiness.await(
          "a synchronous standby in " + scope,
          Duration.ofSeconds(60),
          () -> cluster.syncStandby().isPresent());
    }
    cluster.execute("CREATE DATABASE " + PostgresServer.DATABASE);
    return cluster;
  }

  private void launch(Member m) {
    Path config = m.dir.resolve("patroni.yml");
    Path sockets = m.dir.resolve("sockets");
    try {
      Files.createDirectories(sockets);
      Workspace.writePrivate(config, config(m, sockets));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Workspace.handOver(m.dir);
    List<String> command =
        Workspace.asUnprivileged(List.of(Tools.patroni().toString(), config.toString()));
    m.process = workspace.start(m.name, command, Map.of());
  }

  private String config(Member m, Path sockets) {
    String hosts =
        String.join(",", etcd.endpoints().stream().map(u -> u.replace("http://", "")).toList());
    return """
        scope: %s
        namespace: %s
        name: %s
        log:
          level: INFO
        restapi:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:%d
        etcd3:
          hosts: %s
          protocol: http
          username: %s
          password: %s
        bootstrap:
          dcs:
            ttl: %d
            loop_wait: %d
            retry_timeout: %d
            maximum_lag_on_failover: 1048576
            synchronous_mode: true
            slots:
              %s:
                type: physical
            postgresql:
              use_pg_rewind: true
              use_slots: true
              parameters:
                wal_level: replica
                hot_standby: "on"
                max_wal_senders: 10
                max_replication_slots: 10
                max_slot_wal_keep_size: %s
                tcp_user_timeout: %s
                wal_keep_size: 256MB
                max_connections: 200
          initdb:
            - encoding: UTF8
            - locale: C
            - data-checksums
        postgresql:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:%d
          data_dir: %s
          bin_dir: %s
          pgpass: %s
          authentication:
            superuser:
              username: %s
              password: %s
            replication:
              username: replicator
              password: %s
            rewind:
              username: %s
              password: %s
          parameters:
            unix_socket_directories: '%s'
          pg_hba:
            - local all all trust
            - host replication replicator 127.0.0.1/32 scram-sha-256
            - host all all 127.0.0.1/32 scram-sha-256
        tags:
          nofailover: false
          noloadbalance: false
          clonefrom: false
          nosync: false
        """
        .formatted(
            scope,
            EtcdRoles.PATRONI_NAMESPACE,
            m.name,
            m.restPort,
            m.restPort,
            hosts,
            etcdUser.name(),
            etcdUser.password(),
            timings.ttl(),
            timings.loopWait(),
            timings.retryTimeout(),
            PostgresServer.WAL_ARCHIVE_SLOT,
            PostgresServer.SLOT_WAL_KEEP_SIZE,
            PostgresServer.CLIENT_WRITE_TIMEOUT,
            m.pgPort,
            m.pgPort,
            m.pgdata(),
            Tools.postgresBin(),
            m.dir.resolve("pgpass"),
            PostgresServer.USER,
            password,
            replicationPassword,
            PostgresServer.USER,
            password,
            sockets);
  }

  /** The members in order. */
  public List<Member> members() {
    return List.copyOf(members);
  }

  /** Patroni's scope (cluster name); its keys live under {@code /service/<scope>/}. */
  public String scope() {
    return scope;
  }

  /** Password of the {@code replicator} role (REPLICATION; pg_basebackup). */
  public String replicationPassword() {
    return replicationPassword;
  }

  /** Superuser password. */
  public String password() {
    return password;
  }

  /** The current leader as its own REST API reports it, if any. */
  public Optional<Member> leader() {
    for (Member m : members) {
      if (m.process != null && Http.get(m.restUrl() + "/leader").status() == 200) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /** The member named synchronous standby in the cluster view, if any. */
  public Optional<Member> syncStandby() {
    for (Member m : members) {
      if (m.process == null) {
        continue;
      }
      Http.Response r = Http.get(m.restUrl() + "/cluster");
      if (r.status() != 200) {
        continue;
      }
      try {
        for (JsonNode node : JSON.readTree(r.body()).path("members")) {
          String role = node.path("role").asText();
          if (role.equals("sync_standby") || role.equals("sync_replica")) {
            String name = node.path("name").asText();
            if (node.path("state").asText().matches("running|streaming")) {
              return members.stream().filter(x -> x.name.equals(name)).findFirst();
            }
          }
        }
        return Optional.empty();
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Waits until a member is leader and accepts writes, and answers it. */
  public Member awaitLeader(Duration timeout) {
    Member[] found = new Member[1];
    Readiness.await(
        "a Patroni leader of " + scope + " accepting writes",
        timeout,
        () -> {
          Optional<Member> leader = leader();
          if (leader.isEmpty()) {
            return false;
          }
          try (Connection c = connect(leader.get(), "postgres");
              var s = c.createStatement();
              var rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            if (rs.getBoolean(1)) {
              return false;
            }
            found[0] = leader.get();
            return true;
          } catch (SQLException e) {
            return false;
          }
        });
    return found[0];
  }

  /**
   * Kills a member the hard way: Patroni and its PostgreSQL (postmaster and backends), SIGKILL, as
   * when the machine of a zone dies.
   */
  public void kill(Member m) {
    Optional<Long> postmaster = postmasterPid(m);
    m.process.kill();
    postmaster.ifPresent(
        pid ->
            ManagedProcess.handle(pid)
                .ifPresent(
                    h -> {
                      List<ProcessHandle> tree = new ArrayList<>(h.descendants().toList());
                      tree.add(h);
                      tree.forEach(ProcessHandle::destroyForcibly);
                    }));
    m.process = null;
  }

  /**
   * Kills Patroni alone (SIGKILL), as when it crashes: its PostgreSQL runs on detached — a primary
   * stays a primary until Patroni is back to demote it.
   */
  public void killPatroni(Member m) {
    m.process.kill();
    m.process = null;
  }

  /** Starts a member's Patroni again (after {@link #kill} or {@link #killPatroni}). */
  public void restart(Member m) {
    if (m.process != null && m.process.isAlive()) {
      throw new IllegalStateException(m.name + " runs");
    }
    launch(m);
  }

  private static Optional<Long> postmasterPid(Member m) {
    try {
      List<String> lines = Files.readAllLines(m.pgdata().resolve("postmaster.pid"));
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** JDBC URL of a database on a member. */
  public String jdbcUrl(Member m, String database) {
    return "jdbc:postgresql://127.0.0.1:" + m.pgPort + "/" + database;
  }

  /** A JDBC connection to a member as the superuser. */
  public Connection connect(Member m, String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(m, database), PostgresServer.USER, password);
  }

  private void execute(String sql) {
    Member leader = awaitLeader(Duration.ofSeconds(60));
    try (Connection c = connect(leader, "postgres");
        var s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on " + leader.name, e);
    }
  }

  /** Stops every member (Patroni stops its PostgreSQL) and deletes their data. */
  @Override
  public void close() {
    for (Member m : members) {
      if (m.process != null) {
        Optional<Long> postmaster = postmasterPid(m);
        m.process.stop(Duration.ofSeconds(15));
        postmaster.flatMap(ManagedProcess::handle).ifPresent(ProcessHandle::destroyForcibly);
        m.process = null;
      }
    }
    for (Member m : members) {
      Workspace.deleteTree(m.dir);
    }
  }
}
