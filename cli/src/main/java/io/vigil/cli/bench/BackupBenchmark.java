package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.region.BackupCalls;
import io.vigil.cli.region.RegionState;
import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backups measured side by side in one run, on one PostgreSQL loaded to a given size: raw {@code
 * pg_basebackup} (plain, then compressed tar) against a Vigil base backup of the same database
 * (pg_basebackup + pg_verifybackup + packing + SHA-256 + store); the time to restore that database
 * from the repository and have it answer queries; and the data at risk (the PostgreSQL RPO
 * exposure) sampled under steady writes, with WAL archiving on.
 */
public final class BackupBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BackupBenchmark() {}

  /** Runs the benchmark and prints Markdown tables. */
  public static void run(Path stateDir, int sizeMb, int riskSeconds, PrintStream out)
      throws Exception {
    Workspace ws =
        Workspace.scratch(stateDir.resolve("bench-data"), stateDir.resolve("bench-logs"));
    Path repo = stateDir.resolve("bench-data/backup-repository-" + UUID.randomUUID());
    try (EtcdCluster etcd = EtcdCluster.start(ws, "bench-etcd", 1);
        PostgresServer pg = PostgresServer.start(ws, "bench-backup-postgres")) {
      out.printf("Loading about %,d MB into PostgreSQL...%n", sizeMb);
      long bytes = load(pg, sizeMb);
      double mb = bytes / 1e6;
      out.printf("Database size: %,.0f MB%n%n", mb);

      int port = Ports.free();
      String operatorKey = RegionState.newKey("op_");
      Http operator = Http.as(operatorKey);
      ManagedProcess service =
          QuarkusService.start(
                  ws,
                  "bench-backup",
                  "backup-service",
                  port,
                  Map.ofEntries(
                      Map.entry("vigil.region.etcd.endpoints", etcd.endpointList()),
                      Map.entry("vigil.region.etcd.user", EtcdRoles.BACKUP),
                      Map.entry(
                          "vigil.region.etcd.password",
                          EtcdRoles.addServiceUsers(etcd, "us-south", Optional.empty())
                              .get(EtcdRoles.BACKUP)
                              .password()),
                      Map.entry("vigil.backup.repository.path", repo.toString()),
                      Map.entry(
                          "vigil.backup.wal.spool",
                          stateDir.resolve("bench-data/wal-spool").toString()),
                      Map.entry("vigil.backup.schedule.enabled", "false"),
                      Map.entry("vigil.backup.drill.enabled", "false"),
                      Map.entry("vigil.backup.postgres.host", "127.0.0.1"),
                      Map.entry("vigil.backup.postgres.port", Integer.toString(pg.port())),
                      Map.entry("vigil.backup.postgres.user", PostgresServer.USER),
                      Map.entry("vigil.backup.postgres.password", pg.password()),
                      Map.entry("vigil.security.operator-key", operatorKey),
                      // as the local region stores them: encrypted
                      Map.entry("vigil.backup.encryption.keys", RegionState.newBackupKey()),
                      Map.entry("vigil.backup.restore-root", ws.root().toString())),
                  QuarkusService.Aot.AUTO)
              .process();
      String base = "http://127.0.0.1:" + port;
      try {
        Readiness.await(
            "backup-service leads",
            Duration.ofSeconds(30),
            () -> operator.read(base + "/backups/status").body().contains("\"leader\":true"));
        Path bin = Tools.postgresBin();

        double rawPlain = timed(() -> rawBaseBackup(bin, pg, ws.root(), "-Fp"));
        double rawTarGz = timed(() -> rawBaseBackup(bin, pg, ws.root(), "-Ft", "-z"));
        JsonNode[] point = new JsonNode[1];
        double vigil =
            timed(
                () -> {
                  Http.Response r =
                      BackupCalls.backup(operator, base, "postgres", Duration.ofMinutes(60));
                  if (r.status() != 201) {
                    throw new IllegalStateException("backup failed: " + r.body());
                  }
                  point[0] = JSON.readTree(r.body());
                });
        long stored = point[0].path("size").asLong();

        out.printf(
            "Base backup of the same %,.0f MB database, one after the other (2 cores):%n%n", mb);
        out.println("| backup | seconds | MB/s | stored MB | includes |");
        out.println("|---|---:|---:|---:|---|");
        out.printf(
            "| raw pg_basebackup, plain | %.1f | %.0f | %,.0f | copy + WAL |%n",
            rawPlain, mb / rawPlain, mb);
        out.printf(
            "| raw pg_basebackup, tar + gzip | %.1f | %.0f | %,.0f | copy + WAL + gzip |%n",
            rawTarGz, mb / rawTarGz, dirSize(ws.root(), "raw-Ft-z-") / 1e6);
        out.printf(
            "| Vigil base backup | %.1f | %.0f | %,.0f | copy + WAL + pg_verifybackup + zstd on"
                + " every core + AES-256-GCM + SHA-256 + store |%n%n",
            vigil, mb / vigil, stored / 1e6);

        // restore: from the repository alone to a server answering queries
        Path dir = ws.root().resolve("restored-" + UUID.randomUUID()).toAbsolutePath();
        long t0 = System.nanoTime();
        Http.Response restored =
            BackupCalls.restore(
                operator,
                base,
                "{\"target\":\"postgres\",\"recovery_point\":\"latest\",\"directory\":\""
                    + dir
                    + "\"}",
                Duration.ofMinutes(60));
        if (restored.status() != 201) {
          throw new IllegalStateException("restore failed: " + restored.body());
        }
        double prepared = (System.nanoTime() - t0) / 1e9;
        long rows;
        try (PostgresServer copy =
                PostgresServer.startRestored(ws, "bench-restored", dir, pg.password());
            Connection c = copy.connect(PostgresServer.DATABASE)) {
          copy.awaitPromoted(Duration.ofMinutes(10));
          try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM big")) {
            rs.next();
            rows = rs.getLong(1);
          }
        }
        double total = (System.nanoTime() - t0) / 1e9;
        out.printf("Restore of the %,.0f MB database from the repository:%n%n", mb);
        out.println("| step | seconds |");
        out.println("|---|---:|");
        out.printf(
            "| fetch, check SHA-256, unpack, pg_verifybackup, place WAL | %.1f |%n", prepared);
        out.printf(
            "| start, replay, promote, first query (%,d rows back) | %.1f |%n",
            rows, total - prepared);
        out.printf("| **total (RTO of the data layer)** | **%.1f** |%n%n", total);

        // data at risk under steady writes
        List<Double> exposure = new ArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer =
            Thread.ofPlatform()
                .start(
                    () -> {
                      try (Connection c = pg.connect(PostgresServer.DATABASE);
                          Statement st = c.createStatement()) {
                        st.execute("CREATE TABLE IF NOT EXISTS steady(id serial, at timestamptz)");
                        while (writing.get()) {
                          st.execute("INSERT INTO steady(at) VALUES (now())");
                          written.incrementAndGet();
                          Thread.sleep(10);
                        }
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                    });
        long end = System.nanoTime() + Duration.ofSeconds(riskSeconds).toNanos();
        while (System.nanoTime() < end) {
          JsonNode s = JSON.readTree(operator.read(base + "/backups/status").body());
          JsonNode e = s.path("rpo").path("postgres").path("exposure_seconds");
          if (!e.isNumber()) {
            // no recovery point at all: say so rather than count it as no exposure
            throw new IllegalStateException(
                "the backup service reports no PostgreSQL recovery point while sampling: "
                    + s.path("rpo").path("postgres"));
          }
          exposure.add(e.asDouble());
          Thread.sleep(250);
        }
        writing.set(false);
        writer.join();
        Collections.sort(exposure);
        JsonNode status = JSON.readTree(operator.read(base + "/backups/status").body());
        out.printf(
            "Data at risk under steady writes (%,d commits in %d s; %d samples of the PostgreSQL"
                + " RPO exposure = now − newest durable point):%n%n",
            written.get(), riskSeconds, exposure.size());
        out.println("| archiving | p50 | p99 | max | objective |");
        out.println("|---|---:|---:|---:|---:|");
        out.printf(
            "| WAL streamed (pg_receivewal), partial segment shipped every 1 s | %.1f s | %.1f s"
                + " | %.1f s | %d s |%n",
            exposure.get(exposure.size() / 2),
            exposure.get((int) Math.min(exposure.size() - 1, Math.round(exposure.size() * 0.99))),
            exposure.get(exposure.size() - 1),
            status.path("rpo").path("postgres").path("objective_seconds").asInt());
        out.println(
            "| base backups alone (for comparison) | up to the schedule interval (30 min by"
                + " default) | | | |");
        out.println();
        out.printf(
            "backup: vigil=%.0f raw-tgz=%.0f ratio=%.2f; restore=%.1f%n",
            mb / vigil, mb / rawTarGz, rawTarGz / vigil, total);
      } finally {
        service.stop(Duration.ofSeconds(10));
      }
    }
  }

  private static long load(PostgresServer pg, int sizeMb) throws Exception {
    try (Connection c = pg.connect(PostgresServer.DATABASE);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE big(id bigint PRIMARY KEY, payload text)");
      long id = 0;
      long size;
      while (true) {
        st.execute(
            "INSERT INTO big SELECT g, repeat(md5(g::text || random()::text), 6) FROM"
                + " generate_series("
                + (id + 1)
                + ", "
                + (id + 250_000)
                + ") g");
        id += 250_000;
        try (ResultSet rs = st.executeQuery("SELECT pg_database_size(current_database())")) {
          rs.next();
          size = rs.getLong(1);
        }
        if (size >= sizeMb * 1_000_000L) {
          st.execute("CHECKPOINT");
          return size;
        }
      }
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static double timed(Step step) throws Exception {
    long t0 = System.nanoTime();
    step.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A raw pg_basebackup of {@code pg} in the given format into a new directory under root. */
  private static void rawBaseBackup(Path bin, PostgresServer pg, Path root, String... format)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                bin.resolve("pg_basebackup").toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(pg.port()),
                "-U",
                PostgresServer.USER,
                "-w",
                "-D",
                root.resolve("raw" + String.join("", format) + "-" + UUID.randomUUID()).toString(),
                "-Xs",
                "-c",
                "fast"));
    command.addAll(List.of(format));
    run(command, Map.of("PGPASSWORD", pg.password()));
  }

  private static void run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().putAll(env);
    Process p = b.start();
    String output = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(command.get(0) + " failed: " + output);
    }
  }

  private static long dirSize(Path root, String prefix) throws Exception {
    long total = 0;
    try (var dirs = Files.list(root)) {
      for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
        try (var files = Files.walk(d)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) {
            total += Files.size(f);
          }
        }
      }
    }
    return total;
  }
}
