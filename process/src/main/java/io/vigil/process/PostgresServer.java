package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real single PostgreSQL server: {@code initdb} into a fresh directory, {@code postgres} on a
 * free loopback port (password authentication over TCP), run as an unprivileged user when this JVM
 * is root, and a database {@code vigil} owned by the superuser.
 */
public final class PostgresServer implements AutoCloseable {

  /**
   * The physical replication slot the backup service's WAL stream goes through (the primary keeps
   * WAL until it is archived, up to {@link #SLOT_WAL_KEEP_SIZE}).
   */
  public static final String WAL_ARCHIVE_SLOT = "vigil_wal_archive";

  /**
   * The most WAL a replication slot holds back ({@code max_slot_wal_keep_size}): a stream down for
   * longer loses its slot, its chain breaks, and a base backup starts a new one; the disk never
   * fills for a stream that does not come back.
   */
  public static final String SLOT_WAL_KEEP_SIZE = "1GB";

  /**
   * How long the server's writes to a client may go unacknowledged ({@code tcp_user_timeout}) — a
   * client that stopped reading included — before the connection is dropped. Without it a server
   * process blocked on a stalled client cannot end: a WAL stream whose slot the checkpointer
   * invalidates holds every checkpoint up until the client reads again.
   */
  public static final String CLIENT_WRITE_TIMEOUT = "20s";

  /** Name of the database created for the services. */
  public static final String DATABASE = "vigil";

  /** The superuser's name. */
  public static final String USER = "postgres";

  private final String name;
  private final Path dataDir;
  private final int port;
  private final String password;
  private ManagedProcess process;
  private final Workspace workspace;

  private PostgresServer(Workspace workspace, String name) {
    this(workspace, name, UUID.randomUUID().toString().replace("-", ""));
  }

  private PostgresServer(Workspace workspace, String name, String password) {
    this.workspace = workspace;
    this.name = name;
    this.dataDir = workspace.dir(name);
    this.port = Ports.free();
    this.password = password;
  }

  /**
   * Starts a server on a restored data directory (a base backup unpacked by the backup service):
   * the directory is moved into the workspace, handed to the unprivileged user, and started;
   * PostgreSQL replays the WAL the backup carries up to its consistent point.
   *
   * @param restored the restored data directory
   * @param password the superuser password of the cluster the backup was taken from
   */
  public static PostgresServer startRestored(
      Workspace workspace, String name, Path restored, String password) {
    PostgresServer server = new PostgresServer(workspace, name, password);
    Path pgdata = server.dataDir.resolve("pgdata");
    try {
      Files.createDirectories(server.dataDir.resolve("sockets"));
      Files.move(restored, pgdata);
      Files.setPosixFilePermissions(
          pgdata, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot place the restored data directory " + restored, e);
    }
    Workspace.handOver(server.dataDir);
    server.launch();
    return server;
  }

  /**
   * Starts a hot standby of another cluster: a base backup taken with {@code pg_basebackup -R} from
   * the first source that answers, then streaming from whichever source serves WAL (libpq tries the
   * hosts in turn; a replica serves as a cascading upstream), following timeline switches.
   *
   * @param sourcePorts PostgreSQL ports on 127.0.0.1 of the source cluster's members
   * @param user a role with the REPLICATION attribute
   * @param userPassword its password
   * @param password the superuser password of the source cluster
   */
  public static PostgresServer startStandby(
      Workspace workspace,
      String name,
      List<Integer> sourcePorts,
      String user,
      String userPassword,
      String password) {
    PostgresServer server = new PostgresServer(workspace, name, password);
    Path pgdata = server.dataDir.resolve("pgdata");
    try {
      Files.createDirectories(server.dataDir.resolve("sockets"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RuntimeException last = null;
    for (int port : sourcePorts) {
      try {
        Workspace.deleteTree(pgdata);
        Commands.runChecked(
            List.of(
                "env",
                "PGPASSWORD=" + userPassword,
                Tools.postgresBin().resolve("pg_basebackup").toString(),
                "--host=127.0.0.1",
                "--port=" + port,
                "--username=" + user,
                "--no-password",
                "--pgdata=" + pgdata,
                "--wal-method=stream",
                "--checkpoint=fast",
                "--write-recovery-conf"),
            Duration.ofMinutes(10));
        last = null;
        break;
      } catch (RuntimeException e) {
        last = e;
      }
    }
    if (last != null) {
      throw last;
    }
    String hosts = String.join(",", sourcePorts.stream().map(p -> "127.0.0.1").toList());
    String ports = String.join(",", sourcePorts.stream().map(String::valueOf).toList());
    try {
      Files.writeString(
          pgdata.resolve("postgresql.auto.conf"),
          "\n# written by the test kit: stream from any member of the source cluster\n"
              + "primary_conninfo = 'host="
              + hosts
              + " port="
              + ports
              + " user="
              + user
              + " password="
              + userPassword
              + " application_name="
              + name
              + "'\nrecovery_target_timeline = 'latest'\n",
          java.nio.file.StandardOpenOption.APPEND);
      Files.setPosixFilePermissions(
          pgdata, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Workspace.handOver(server.dataDir);
    server.launch();
    return server;
  }

  /** Initialises and starts a server, waits until it accepts connections, creates the database. */
  public static PostgresServer start(Workspace workspace, String name) {
    PostgresServer server = new PostgresServer(workspace, name);
    server.initdb();
    server.launch();
    server.execute("postgres", "CREATE DATABASE " + DATABASE);
    return server;
  }

  private void initdb() {
    Path pgdata = dataDir.resolve("pgdata");
    Path pwfile = dataDir.resolve("pwfile");
    Path sockets = dataDir.resolve("sockets");
    try {
      Files.createDirectories(sockets);
      Workspace.writePrivate(pwfile, password);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Workspace.handOver(dataDir);
    Commands.runChecked(
        Workspace.asUnprivileged(
            List.of(
                Tools.postgresBin().resolve("initdb").toString(),
                "--pgdata=" + pgdata,
                "--username=" + USER,
                "--pwfile=" + pwfile,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--data-checksums")),
        Duration.ofMinutes(2));
    try {
      Files.deleteIfExists(pwfile);
      // in the configuration file, not on the command line: ALTER SYSTEM may change it
      Files.writeString(
          pgdata.resolve("postgresql.conf"),
          "\nmax_slot_wal_keep_size = '"
              + SLOT_WAL_KEEP_SIZE
              + "'\ntcp_user_timeout = '"
              + CLIENT_WRITE_TIMEOUT
              + "'\n",
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void launch() {
    List<String> command =
        Workspace.asUnprivileged(
            List.of(
                Tools.postgresBin().resolve("postgres").toString(),
                "-D",
                dataDir.resolve("pgdata").toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=" + dataDir.resolve("sockets"),
                "-c",
                "max_connections=200",
                "-c",
                "wal_level=replica",
                "-c",
                "max_wal_senders=10",
                "-c",
                "fsync=on",
                // statements over a second are in the server's log (with their parameters)
                "-c",
                "log_min_duration_statement=1000",
                // a copy of a Patroni member (restored, or a standby) carries the member's
                // synchronous standby names and configuration file paths: none apply here
                "-c",
                "synchronous_standby_names=",
                "-c",
                "hba_file=" + dataDir.resolve("pgdata").resolve("pg_hba.conf"),
                "-c",
                "ident_file=" + dataDir.resolve("pgdata").resolve("pg_ident.conf")));
    process = workspace.start(name, command, Map.of());
    Readiness.await(process, name + " accepting connections", Duration.ofSeconds(60), this::ping);
  }

  private boolean ping() {
    try (Connection c = connect("postgres")) {
      return c.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Waits until the server has left recovery (a restored server replays its WAL, then promotes) and
   * accepts writes.
   */
  public void awaitPromoted(Duration timeout) {
    Readiness.await(
        name + " promoted",
        timeout,
        () -> {
          try (Connection c = connect("postgres");
              var rs = c.createStatement().executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return !rs.getBoolean(1);
          } catch (SQLException e) {
            return false;
          }
        });
  }

  /** Port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Superuser password. */
  public String password() {
    return password;
  }

  /** The data directory ({@code pgdata}). */
  public Path pgdata() {
    return dataDir.resolve("pgdata");
  }

  /** JDBC URL of a database. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** URL of the {@value #DATABASE} database as the Vert.x reactive client takes it. */
  public String reactiveUrl() {
    return "postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** A new JDBC connection as the superuser. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), USER, password);
  }

  /** Runs one statement. */
  public void execute(String database, String sql) {
    try (Connection c = connect(database);
        var s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on " + name, e);
    }
  }

  /** The server process. */
  public ManagedProcess process() {
    return process;
  }

  /** Stops the server (fast shutdown) and deletes its data. */
  @Override
  public void close() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10), "INT");
      process = null;
    }
    Workspace.deleteTree(dataDir);
  }
}
