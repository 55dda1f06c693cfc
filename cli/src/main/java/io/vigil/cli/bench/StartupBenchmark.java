package io.vigil.cli.bench;

import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Time to ready and resident memory of each service, plain JVM against the JDK 25 AOT cache,
 * measured side by side in one run against the same real etcd and PostgreSQL. Time to ready is from
 * process spawn to the first 200 of {@code /q/health/ready}; memory is VmRSS right then.
 */
public final class StartupBenchmark {

  private static final List<String> MODULES =
      List.of("router-service", "monitoring-service", "backup-service");

  /** The router's default {@code vigil.router.warmup.duration}, for the table's note. */
  private static final String DEFAULT_ROUTER_WARMUP = "5 s";

  private StartupBenchmark() {}

  /** One measured start. */
  record Sample(long readyMillis, long rssKib) {}

  /** Runs the benchmark and prints a Markdown table. */
  public static void run(Path stateDir, int runs, PrintStream out) {
    if (!QuarkusService.aotSupported()) {
      throw new IllegalStateException(
          "the AOT cache needs JDK 25 or later; this is JDK " + Runtime.version().feature());
    }
    Workspace ws =
        Workspace.scratch(stateDir.resolve("bench-data"), stateDir.resolve("bench-logs"));
    try (EtcdCluster etcd = EtcdCluster.start(ws, "bench-etcd", 1);
        PostgresServer pg = PostgresServer.start(ws, "bench-postgres")) {
      Map<String, EtcdCluster.User> users =
          EtcdRoles.addServiceUsers(etcd, "us-south", Optional.empty());
      Map<String, String> common = new LinkedHashMap<>();
      common.put("quarkus.datasource.reactive.url", pg.reactiveUrl());
      common.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(PostgresServer.DATABASE));
      common.put("quarkus.datasource.username", PostgresServer.USER);
      common.put("quarkus.datasource.password", pg.password());
      common.put("vigil.backup.repository.path", stateDir.resolve("bench-backups").toString());

      Map<String, Map<String, String>> configs = new LinkedHashMap<>();
      for (String module : MODULES) {
        Map<String, String> config = new LinkedHashMap<>(common);
        config.putAll(etcd.serviceConfig(users.get(EtcdRoles.userOf(module))));
        // the JVM's own start, compared: the router's readiness otherwise also waits out the
        // warm-up of its forwarding path (printed below the table)
        config.put("vigil.router.warmup.duration", "0s");
        configs.put(module, config);
      }
      for (String module : MODULES) {
        // trains the cache first when it is missing or stale
        QuarkusService.start(
                ws,
                module + "-warm",
                module,
                Ports.free(),
                configs.get(module),
                QuarkusService.Aot.AUTO)
            .process()
            .stop(Duration.ofSeconds(20));
      }
      out.printf(
          "Start-up of each service, %d runs per variant, medians (JDK %s, %d cores)%n%n",
          runs, Runtime.version(), Runtime.getRuntime().availableProcessors());
      out.println(
          "| service | plain JVM: time to ready | AOT cache: time to ready | speed-up | plain JVM: RSS at ready | AOT cache: RSS at ready |");
      out.println("|---|---:|---:|---:|---:|---:|");
      for (String module : MODULES) {
        Map<String, String> config = configs.get(module);
        Path app = QuarkusService.appDir(module);
        List<String> aotOptions = new ArrayList<>(QuarkusService.JVM_OPTIONS);
        // trains the cache first when it is missing or stale
        ManagedProcess warm =
            QuarkusService.start(
                    ws, module + "-warm", module, Ports.free(), config, QuarkusService.Aot.AUTO)
                .process();
        warm.stop(Duration.ofSeconds(20));
        aotOptions.add("-XX:AOTCache=" + app.resolve("app.aot"));
        List<Sample> plain = new ArrayList<>();
        List<Sample> aot = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          plain.add(measure(ws, module, app, config, QuarkusService.JVM_OPTIONS));
          aot.add(measure(ws, module, app, config, aotOptions));
        }
        long plainMs = median(plain.stream().map(Sample::readyMillis).toList());
        long aotMs = median(aot.stream().map(Sample::readyMillis).toList());
        out.printf(
            "| %s | %d ms | %d ms | %.1f× | %d MiB | %d MiB |%n",
            module,
            plainMs,
            aotMs,
            (double) plainMs / aotMs,
            median(plain.stream().map(Sample::rssKib).toList()) / 1024,
            median(aot.stream().map(Sample::rssKib).toList()) / 1024);
      }
      out.printf(
          "%nrouter-service with its warm-up off; by default its readiness also waits out the"
              + " warm-up of its forwarding path (vigil.router.warmup.duration, %s).%n",
          DEFAULT_ROUTER_WARMUP);
    } finally {
      Workspace.deleteTree(stateDir.resolve("bench-data"));
    }
  }

  private static Sample measure(
      Workspace ws, String module, Path app, Map<String, String> config, List<String> options) {
    int port = Ports.free();
    long t0 = System.nanoTime();
    QuarkusService.Started s =
        QuarkusService.launch(ws, module + "-bench", app, port, config, options);
    ManagedProcess p = s.process();
    try {
      Readiness.await(
          p,
          module + " ready",
          Duration.ofSeconds(60),
          () -> Http.get(s.managementUrl() + "/q/health/ready").status() == 200);
      long ready = (System.nanoTime() - t0) / 1_000_000;
      return new Sample(ready, rssKib(p.pid()));
    } finally {
      p.stop(Duration.ofSeconds(20));
    }
  }

  private static long rssKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the memory of pid " + pid, e);
    }
    throw new IllegalStateException("no VmRSS for pid " + pid);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
