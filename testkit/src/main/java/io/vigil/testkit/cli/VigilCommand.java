package io.vigil.testkit.cli;

import io.vigil.testkit.Http;
import io.vigil.testkit.LocalRegion;
import io.vigil.testkit.QuarkusService;
import io.vigil.testkit.RegionState;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code vigil} command for a local region: {@code up}, {@code status}, {@code down}. The
 * {@code vigil} script finds a JDK, installs what is missing and builds before it runs this.
 */
public final class VigilCommand {

  private final PrintStream out;
  private final Path stateDir;

  VigilCommand(PrintStream out, Path stateDir) {
    this.out = out;
    this.stateDir = stateDir;
  }

  /** Entry point; exits 0 on success, 1 on failure, 2 on a usage error. */
  public static void main(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    Path stateDir = Path.of(option(rest, "--state-dir", ".vigil"));
    boolean noAot = rest.remove("--no-aot");
    boolean noPatroni = rest.remove("--no-patroni");
    boolean dr = rest.remove("--dr");
    VigilCommand vigil = new VigilCommand(System.out, stateDir.toAbsolutePath());
    String command = rest.isEmpty() ? "help" : rest.remove(0);
    int code;
    try {
      code =
          switch (command) {
            case "up" ->
                vigil.up(noAot ? QuarkusService.Aot.OFF : QuarkusService.Aot.AUTO, !noPatroni, dr);
            case "down" -> vigil.down();
            case "status" -> vigil.status();
            case "bench" -> vigil.bench(rest);
            case "backup" -> vigil.backup(rest);
            case "restore" -> vigil.restore(rest);
            case "zone" -> vigil.zone(rest);
            case "drill" -> vigil.drill(rest);
            case "help", "--help", "-h" -> vigil.usage(0);
            default -> {
              System.err.println("vigil: unknown command '" + command + "'");
              yield vigil.usage(2);
            }
          };
    } catch (IllegalStateException | IllegalArgumentException e) {
      System.err.println("vigil: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }

  private static String option(List<String> args, String name, String fallback) {
    int i = args.indexOf(name);
    if (i < 0) {
      return fallback;
    }
    if (i + 1 >= args.size()) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    String value = args.get(i + 1);
    args.remove(i + 1);
    args.remove(i);
    return value;
  }

  int usage(int code) {
    out.println(
        """
        usage: ./vigil <command> [options]
          up [--dr] start a local region (etcd, PostgreSQL/Patroni, S3Proxy, services per zone, router);
                    --dr adds the standby region us-east behind the router's region failover
          status    show every process of the region and its health
          down      stop every process of the region
          zone kill|hang|resume|start <zone>
                    kill = SIGKILL, hang = SIGSTOP (accepts, never answers) every process of a zone
          drill zone-loss [--zone Z] [--hang] | patroni-leader | etcd-member [--member NAME]
                | backup-leader | region-loss (needs up --dr)   [--seconds N]
                    load through the router, a failure, then a report: failed requests, lost
                    acknowledged records, time to recover
          backup now [postgres|etcd|all]
                    back up now through the region's backup leader; prints the recovery points
          backup list
                    recovery points and recovery window per target
          restore postgres|etcd --into DIR [--id ID | --time ISO-8601]
                    unpack and verify a recovery point from the repository into DIR (a data
                    directory to start PostgreSQL on, or a snapshot for etcdctl snapshot restore)
          bench startup [--runs N]
                    time to ready and memory of each service, plain JVM vs AOT cache
          bench ingest [--records N] [--run-records N]
                    payload ingest through the API vs raw COPY; monitor runs over N records
          bench router [--seconds S]
                    router vs HAProxy vs direct (wrk), then a zone killed and hung under load
          bench backup [--size-mb N] [--risk-seconds S]
                    base backup vs raw pg_basebackup of the same database, restore time,
                    data at risk (RPO exposure) under steady writes
          test      run the test suite (handled by the script)
        options:
          --state-dir DIR   where region.json, data and logs live (default .vigil)
          --no-aot          start the services on the plain JVM, without the AOT cache
          --no-patroni      a single PostgreSQL instead of the Patroni cluster
        """);
    return code;
  }

  int up(QuarkusService.Aot aot, boolean patroni, boolean dr) throws IllegalStateException {
    Path file = stateDir.resolve("region.json");
    Optional<RegionState> existing = RegionState.read(file);
    if (existing.isPresent() && !existing.get().running().isEmpty()) {
      throw new IllegalStateException(
          "a region is already running from "
              + stateDir
              + " ("
              + existing.get().running().size()
              + " processes); see ./vigil status, or stop it with ./vigil down");
    }
    if (existing.isPresent()) {
      // a new region: nothing of the last one may mix into its data or backups
      for (String dir : List.of("data", "dr-backups", "wal-spool", "backup-staging")) {
        io.vigil.testkit.Workspace.deleteTree(stateDir.resolve(dir));
      }
    }
    try {
      Files.createDirectories(stateDir);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot create " + stateDir + ": " + e.getMessage());
    }
    out.println("Starting a local region (state in " + stateDir + ")");
    RegionState state =
        new LocalRegion(
                new LocalRegion.Options(
                    stateDir,
                    "us-south",
                    List.of("zone-a", "zone-b", "zone-c"),
                    aot,
                    patroni,
                    dr ? "us-east" : null),
                out)
            .up();
    out.println();
    out.println("  Monitoring API:    " + state.apiUrl + "  (through the router)");
    out.println("  API key:           " + state.apiKey);
    out.println("  Operator key:      " + state.operatorKey + "  (/admin/v1)");
    out.println("  Router:            " + state.routerUrl);
    out.println("  etcd:              " + state.etcdEndpoints);
    out.println("  PostgreSQL:        " + state.postgresUrl + "  (user postgres)");
    out.println("  Data layer:        " + state.dataLayer);
    out.println("  S3 storage:        " + state.s3Endpoint);
    if (state.standbyRegion != null) {
      out.println(
          "  Standby region:    "
              + state.standbyRegion
              + " (router "
              + state.standbyRouterUrl
              + ", repository "
              + state.standbyRepository
              + ")");
    }
    out.println("  Every endpoint:    " + file);
    out.println("  Logs:              " + stateDir.resolve("logs"));
    out.println();
    out.println("Stop it with ./vigil down; see it with ./vigil status.");
    return 0;
  }

  int backup(List<String> args) {
    RegionState state =
        RegionState.read(stateDir.resolve("region.json"))
            .orElseThrow(() -> new IllegalStateException("no region is up here (./vigil up)"));
    List<String> endpoints =
        state.processes.stream()
            .filter(p -> p.role().equals("backup-service"))
            .map(RegionState.Process::endpoint)
            .toList();
    if (endpoints.isEmpty()) {
      throw new IllegalStateException("the region has no backup-service");
    }
    String which = args.isEmpty() ? "" : args.remove(0);
    if (which.equals("list")) {
      for (String e : endpoints) {
        Http.Response r = Http.get(e + "/backups", java.time.Duration.ofSeconds(30));
        if (r.status() == 200) {
          out.println(r.body());
          return 0;
        }
      }
      throw new IllegalStateException("no backup-service answered " + endpoints);
    }
    if (!which.equals("now")) {
      throw new IllegalArgumentException("usage: ./vigil backup now [postgres|etcd|all] | list");
    }
    String what = args.isEmpty() ? "all" : args.remove(0);
    List<String> targets = what.equals("all") ? List.of("etcd", "postgres") : List.of(what);
    for (String target : targets) {
      boolean done = false;
      for (String e : endpoints) {
        out.printf("Backing up %s through %s ...%n", target, e);
        Http.Response r =
            Http.postJsonWithin(e + "/backups/" + target, "", java.time.Duration.ofMinutes(30));
        if (r.status() == 201) {
          out.println("  " + r.body());
          done = true;
          break;
        }
        if (r.status() == 409 && r.body().contains("not_leader")) {
          continue;
        }
        throw new IllegalStateException(
            target + " backup failed (" + r.status() + "): " + r.body());
      }
      if (!done) {
        throw new IllegalStateException("no backup-service of the region leads the backups");
      }
    }
    return 0;
  }

  private RegionState region() {
    return RegionState.read(stateDir.resolve("region.json"))
        .orElseThrow(() -> new IllegalStateException("no region is up here (./vigil up)"));
  }

  int zone(List<String> args) {
    if (args.size() != 2) {
      throw new IllegalArgumentException("usage: ./vigil zone kill|hang|resume|start <zone>");
    }
    RegionState state = region();
    String zone = args.get(1);
    switch (args.get(0)) {
      case "kill" -> io.vigil.testkit.drill.Zones.kill(state, zone, out);
      case "hang" -> io.vigil.testkit.drill.Zones.hang(state, zone, out);
      case "resume" -> io.vigil.testkit.drill.Zones.resume(state, zone, out);
      case "start" ->
          io.vigil.testkit.drill.Zones.start(state, stateDir.resolve("region.json"), zone, out);
      default ->
          throw new IllegalArgumentException("usage: ./vigil zone kill|hang|resume|start <zone>");
    }
    return 0;
  }

  int drill(List<String> args) {
    String usage =
        "usage: ./vigil drill zone-loss [--zone Z] [--hang] | patroni-leader | etcd-member"
            + " [--member NAME] | backup-leader | region-loss   [--seconds N]";
    if (args.isEmpty()) {
      throw new IllegalArgumentException(usage);
    }
    String scenario = args.remove(0);
    long seconds = Long.parseLong(option(args, "--seconds", "30"));
    io.vigil.testkit.drill.Failure failure =
        switch (scenario) {
          case "zone-loss" -> {
            boolean hang = args.remove("--hang");
            String zone = option(args, "--zone", "zone-b");
            yield hang
                ? io.vigil.testkit.drill.Failure.zoneHung(zone)
                : io.vigil.testkit.drill.Failure.zoneKilled(zone);
          }
          case "patroni-leader" -> io.vigil.testkit.drill.Failure.patroniLeader();
          case "etcd-member" ->
              io.vigil.testkit.drill.Failure.etcdMember(option(args, "--member", "etcd-2"));
          case "backup-leader" -> io.vigil.testkit.drill.Failure.backupLeader();
          case "region-loss" -> new io.vigil.testkit.drill.RegionLoss(stateDir);
          default -> throw new IllegalArgumentException(usage);
        };
    try {
      io.vigil.testkit.drill.LoadDrill.Report report =
          io.vigil.testkit.drill.LoadDrill.run(
              region(),
              stateDir.resolve("region.json"),
              failure,
              java.time.Duration.ofSeconds(seconds),
              out);
      out.println();
      out.println(io.vigil.testkit.drill.LoadDrill.Report.header());
      out.println(report.row());
      return report.lost() == 0 ? 0 : 2;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("the drill failed: " + e, e);
    }
  }

  int restore(List<String> args) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException(
          "usage: ./vigil restore postgres|etcd --into DIR [--id ID | --time ISO-8601]");
    }
    String target = args.remove(0);
    String into = option(args, "--into", "");
    if (into.isEmpty()) {
      throw new IllegalArgumentException("--into DIR is required");
    }
    String id = option(args, "--id", "");
    String time = option(args, "--time", "");
    com.fasterxml.jackson.databind.node.ObjectNode body =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    body.put("target", target);
    body.put("directory", java.nio.file.Path.of(into).toAbsolutePath().toString());
    if (!id.isEmpty()) {
      body.put("recovery_point", id);
    }
    if (!time.isEmpty()) {
      body.put("time", time);
    }
    RegionState state =
        RegionState.read(stateDir.resolve("region.json"))
            .orElseThrow(() -> new IllegalStateException("no region is up here (./vigil up)"));
    String endpoint =
        state.processes.stream()
            .filter(p -> p.role().equals("backup-service"))
            .map(RegionState.Process::endpoint)
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("the region has no backup-service"));
    Http.Response r =
        Http.postJsonWithin(
            endpoint + "/restores", body.toString(), java.time.Duration.ofMinutes(60));
    if (r.status() != 201) {
      throw new IllegalStateException("restore failed (" + r.status() + "): " + r.body());
    }
    out.println(r.body());
    return 0;
  }

  int bench(List<String> args) {
    String which = args.isEmpty() ? "" : args.remove(0);
    switch (which) {
      case "startup" ->
          io.vigil.testkit.bench.StartupBenchmark.run(
              stateDir, Integer.parseInt(option(args, "--runs", "5")), out);
      case "ingest" -> {
        try {
          io.vigil.testkit.bench.IngestBenchmark.run(
              stateDir,
              Integer.parseInt(option(args, "--records", "20000")),
              Integer.parseInt(option(args, "--run-records", "1000000")),
              out);
        } catch (Exception e) {
          throw new IllegalStateException("the ingest benchmark failed: " + e, e);
        }
      }
      case "router" -> {
        try {
          io.vigil.testkit.bench.RouterBenchmark.run(
              stateDir,
              java.time.Duration.ofSeconds(Long.parseLong(option(args, "--seconds", "10"))),
              out);
        } catch (Exception e) {
          throw new IllegalStateException("the router benchmark failed: " + e, e);
        }
      }
      case "backup" -> {
        try {
          io.vigil.testkit.bench.BackupBenchmark.run(
              stateDir,
              Integer.parseInt(option(args, "--size-mb", "1024")),
              Integer.parseInt(option(args, "--risk-seconds", "30")),
              out);
        } catch (Exception e) {
          throw new IllegalStateException("the backup benchmark failed: " + e, e);
        }
      }
      default ->
          throw new IllegalArgumentException(
              "usage: ./vigil bench startup [--runs N] | ingest [--records N] [--run-records N]"
                  + " | router [--seconds S] | backup [--size-mb N] [--risk-seconds S]");
    }
    return 0;
  }

  int down() {
    Optional<RegionState> state = RegionState.read(stateDir.resolve("region.json"));
    if (state.isEmpty()) {
      out.println("No region state in " + stateDir + ": nothing to stop.");
      return 0;
    }
    out.println("Stopping the local region");
    List<RegionState.Process> left = LocalRegion.down(state.get(), out);
    if (!left.isEmpty()) {
      left.forEach(p -> out.println("  still running: " + p.name() + " pid " + p.pid()));
      return 1;
    }
    io.vigil.testkit.Workspace.deleteTree(stateDir.resolve("data"));
    out.println("Stopped; no process is left. Logs stay in " + stateDir.resolve("logs") + ".");
    return 0;
  }

  int status() {
    Optional<RegionState> state = RegionState.read(stateDir.resolve("region.json"));
    if (state.isEmpty()) {
      out.println("No region in " + stateDir + " (start one with ./vigil up).");
      return 1;
    }
    RegionState s = state.get();
    out.printf("Region %s, router %s%n", s.region, s.routerUrl);
    out.printf(
        "%-22s %-20s %-8s %-8s %-28s %s%n", "PROCESS", "ROLE", "ZONE", "PID", "ENDPOINT", "STATE");
    boolean allUp = true;
    for (RegionState.Process p : s.processes) {
      String health;
      if (!p.running()) {
        health = "STOPPED";
        allUp = false;
      } else if (p.role().endsWith("-service")) {
        int code = Http.get(p.endpoint() + "/q/health/ready").status();
        health = code == 200 ? "READY" : code < 0 ? "NOT ANSWERING" : "NOT READY (" + code + ")";
        allUp &= code == 200;
      } else {
        health = "RUNNING";
      }
      out.printf(
          "%-22s %-20s %-8s %-8d %-28s %s%n",
          p.name(), p.role(), p.zone() == null ? "-" : p.zone(), p.pid(), p.endpoint(), health);
    }
    return allUp ? 0 : 1;
  }
}
