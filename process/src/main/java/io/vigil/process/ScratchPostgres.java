package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A throw-away PostgreSQL on a restored data directory (a restore drill): no TCP at all, its own
 * Unix socket with trust authentication, run as {@code user} when this JVM is root (PostgreSQL
 * refuses root); queried with {@code psql}, so no driver or password is needed. Closing it stops
 * the server; the directory stays the caller's.
 */
public final class ScratchPostgres implements AutoCloseable {

  private final Path bin;
  private final Path sockets;
  private final int port;
  private final String user;
  private final ManagedProcess process;

  private ScratchPostgres(Path bin, Path sockets, int port, String user, ManagedProcess process) {
    this.bin = bin;
    this.sockets = sockets;
    this.port = port;
    this.user = user;
    this.process = process;
  }

  /**
   * Starts PostgreSQL on {@code data} (it replays the WAL the backup carries) and waits until it
   * answers a query.
   *
   * @param bin PostgreSQL's binaries directory
   * @param user who runs it when this JVM is root
   * @param timeout how long recovery may take before it answers
   */
  public static ScratchPostgres start(
      Workspace workspace, String name, Path data, Path bin, String user, Duration timeout) {
    Path dir = workspace.dir(name);
    Path hba = dir.resolve("scratch_hba.conf");
    Path sockets;
    try {
      // a short directory: a Unix socket path may not exceed 107 bytes
      sockets = Files.createTempDirectory("vigil-scratch-");
      Files.writeString(hba, "local all all trust\n");
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path owned : List.of(dir, sockets, data)) {
      Workspace.handOver(owned, user);
    }
    int port = Ports.free();
    ManagedProcess process =
        workspace.start(
            name,
            Workspace.asUser(
                user,
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
                    "synchronous_standby_names=",
                    "-c",
                    "shared_buffers=32MB")),
            Map.of());
    ScratchPostgres server = new ScratchPostgres(bin, sockets, port, user, process);
    try {
      Readiness.await(
          process, name + " answering", timeout, () -> server.run("SELECT 1").exitCode() == 0);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Runs a query as the superuser and answers its unaligned output. */
  public String query(String sql) {
    Commands.Result r = run(sql);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(sql + " failed: " + r.output());
    }
    return r.output().strip();
  }

  private Commands.Result run(String sql) {
    return Commands.run(
        Workspace.asUser(
            user,
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
                sql)),
        Duration.ofSeconds(30));
  }

  /** Stops the server (fast shutdown, SIGKILL after 30 s). */
  @Override
  public void close() {
    process.stop(Duration.ofSeconds(30), "INT");
    Workspace.deleteTree(sockets);
  }
}
