package io.vigil.cli.bench;

import io.vigil.cli.region.RegionState;
import io.vigil.process.Commands;
import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Ports;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Tools;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The router against HAProxy (the reference configuration in {@code bench/haproxy-zones.cfg}) and
 * against no proxy at all, with the same three backend processes, in one run: throughput and
 * latency with {@code wrk}, then a zone killed and a zone hung (SIGSTOP) under 32 connections of
 * closed-loop load, reporting failed requests, the slowest request, the longest time without a
 * completed request, and how long the proxy took to take the zone out of rotation.
 *
 * <p>The CPU each proxy process uses per request is read from {@code /proc} around each window, and
 * a fresh router is loaded from the first request it forwards, in one-second windows, to show when
 * it reaches its full rate. The last line sums it up: {@code router-cpu: router=<µs/req>
 * haproxy=<µs/req> ratio=<x>; throughput-ratio=<x>; warm-after=<s>}.
 *
 * <p>Over 300 lines on purpose: a benchmark is one scenario read top to bottom (backends, router,
 * HAProxy, wrk windows, failure windows, the tables).
 */
public final class RouterBenchmark {

  private static final String PATH = "/openscale/bench/v2/subscriptions";
  private static final String REGION = "us-south";
  private static final List<String> ZONES = List.of("zone-a", "zone-b", "zone-c");
  private static final String BROKEN = "zone-b";

  /** One-second windows of load on a fresh router, to see when it serves at its full rate. */
  private static final int WARM_WINDOWS = 20;

  private final Workspace ws;
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final Map<String, ManagedProcess> backends = new LinkedHashMap<>();
  private int routerPort;
  private final String operatorKey = RegionState.newKey("op_");
  private int haproxyPort;
  private Path haproxySocket;

  private RouterBenchmark(Workspace ws) {
    this.ws = ws;
  }

  /** Runs the benchmark and prints Markdown tables. */
  public static void run(Path stateDir, Duration duration, PrintStream out) throws Exception {
    Path wrk =
        Tools.which("wrk")
            .orElseThrow(() -> new IllegalStateException("wrk is missing: apt-get install wrk"));
    Path haproxy =
        Tools.which("haproxy")
            .orElseThrow(
                () -> new IllegalStateException("haproxy is missing: apt-get install haproxy"));
    Workspace ws =
        Workspace.scratch(stateDir.resolve("bench-data"), stateDir.resolve("bench-logs"));
    RouterBenchmark b = new RouterBenchmark(ws);
    List<ManagedProcess> started = new ArrayList<>();
    try (EtcdCluster etcd = EtcdCluster.start(ws, "bench-etcd", 1)) {
      for (String zone : ZONES) {
        b.ports.put(zone, Ports.free());
        b.startBackend(zone);
      }
      b.register(etcd);
      b.routerPort = Ports.free();
      Map<String, String> config = new LinkedHashMap<>();
      config.putAll(
          etcd.serviceConfig(
              EtcdRoles.addServiceUsers(etcd, REGION, Optional.empty()).get(EtcdRoles.ROUTER)));
      config.put("vigil.region.name", REGION);
      config.put("vigil.region.zone", "zone-a");
      config.put("quarkus.log.level", "WARN");
      config.put("vigil.security.operator-key", b.operatorKey);
      // the backends are warm before the router starts: its ramp below is its own
      for (String zone : ZONES) {
        wrk(wrk, b.ports.get(zone), Duration.ofSeconds(4));
      }
      QuarkusService.Started routerService =
          QuarkusService.start(
              ws, "bench-router", "router-service", b.routerPort, config, QuarkusService.Aot.AUTO);
      ManagedProcess router = routerService.process();
      started.add(router);
      String warmup = b.warmupOutcome(routerService.managementUrl());
      // a fresh router under load from the first request it forwards: 1 s windows, each timed
      // from there
      long ready = b.firstForwarded();
      List<double[]> warming = new ArrayList<>(); // {seconds since ready at the window's end, rps}
      for (int i = 0; i < WARM_WINDOWS; i++) {
        Wrk w = wrk(wrk, b.routerPort, Duration.ofSeconds(1));
        warming.add(new double[] {(System.nanoTime() - ready) / 1e9, w.rps});
      }
      ManagedProcess haproxyProcess = b.startHaproxy(haproxy);
      started.add(haproxyProcess);
      b.awaitAllUp();
      wrk(wrk, b.haproxyPort, Duration.ofSeconds(3));
      Wrk direct = measured(wrk, b.ports.get("zone-a"), duration, b.backends.get("zone-a"));
      Wrk viaRouter = measured(wrk, b.routerPort, duration, router);
      Wrk ha = measured(wrk, b.haproxyPort, duration, haproxyProcess);
      double warmAfter = -1;
      for (double[] w : warming) {
        if (w[1] >= 0.9 * viaRouter.rps) {
          warmAfter = w[0];
          break;
        }
      }

      out.printf(
          "%n### Router vs HAProxy vs direct (wrk -t1 -c32 -d%ds, %d cores, JDK %d)%n%n",
          duration.toSeconds(), Runtime.getRuntime().availableProcessors(), Tools.javaFeature());
      out.println(
          "| path | requests/s | p50 | p99 | vs direct | CPU per request (the process named) |"
              + " of it in the kernel |");
      out.println("|---|---:|---:|---:|---:|---:|---:|");
      for (var row :
          List.of(
              Map.entry("direct to one backend (the backend)", direct),
              Map.entry("Vigil router, 3 zones (the router)", viaRouter),
              Map.entry("HAProxy, reference config, 3 zones (haproxy)", ha))) {
        Wrk w = row.getValue();
        out.printf(
            "| %s | %,.0f | %s | %s | %.2f× | %.1f µs | %.1f µs |%n",
            row.getKey(),
            w.rps,
            w.p50,
            w.p99,
            w.rps / direct.rps,
            w.cpuMicros(),
            w.micros(w.system));
      }
      out.printf(
          "%nA fresh router (its warm-up before ready: %s) under the same load from the first"
              + " request it forwarded, 1 s windows: ",
          warmup);
      for (double[] w : warming) {
        out.printf("%.0f%s", w[1], w == warming.get(warming.size() - 1) ? " requests/s.\n" : ", ");
      }
      String warm = warmAfter < 0 ? ">" + WARM_WINDOWS : String.format("%.1f", warmAfter);
      String lastLine =
          String.format(
              "router-cpu: router=%.1f haproxy=%.1f ratio=%.2f; throughput-ratio=%.2f;"
                  + " warm-after=%s",
              viaRouter.cpuMicros(),
              ha.cpuMicros(),
              viaRouter.cpuMicros() / ha.cpuMicros(),
              viaRouter.rps / ha.rps,
              warm);

      out.printf(
          "%n### Failover under load (32 connections, %d s, %s broken %d s in)%n%n",
          duration.toSeconds(), BROKEN, duration.toSeconds() / 2);
      out.println(
          "| zone | proxy | requests | failed | slowest request (from 1 s before the break) |"
              + " longest gap without a response | zone out of rotation after |");
      out.println("|---|---|---:|---:|---:|---:|---:|");
      for (String how : List.of("killed", "hung (SIGSTOP)")) {
        for (String proxy : List.of("router", "HAProxy")) {
          b.failover(how, proxy, duration, out);
        }
      }
      out.println();
      out.println(lastLine);
    } finally {
      for (ManagedProcess p : started) {
        p.stop(Duration.ofSeconds(10));
      }
      b.backends.values().forEach(p -> p.stop(Duration.ofSeconds(5)));
    }
  }

  private void failover(String how, String proxy, Duration duration, PrintStream out)
      throws Exception {
    boolean router = proxy.equals("router");
    int port = router ? routerPort : haproxyPort;
    long[] brokenAt = {0};
    long[] outAt = {0};
    Thread watcher =
        new Thread(
            () -> {
              while (brokenAt[0] == 0) {
                Thread.onSpinWait();
              }
              long limit = brokenAt[0] + TimeUnit.SECONDS.toNanos(10);
              while (System.nanoTime() < limit) {
                if (!zoneUp(router, BROKEN)) {
                  outAt[0] = System.nanoTime();
                  return;
                }
                sleep(5);
              }
            });
    watcher.setDaemon(true);
    watcher.start();
    long begin = System.nanoTime();
    LoadLoop.Result result =
        LoadLoop.run(
            port,
            PATH,
            32,
            duration,
            duration.dividedBy(2),
            () -> {
              if (how.equals("killed")) {
                backends.get(BROKEN).kill();
              } else {
                backends.get(BROKEN).suspend();
              }
              brokenAt[0] = System.nanoTime();
            },
            4_000_000);
    watcher.join(15_000);
    long breakFromStart = brokenAt[0] - begin;
    String outAfter =
        outAt[0] == 0
            ? "not within 10 s"
            : String.format("%.0f ms", (outAt[0] - brokenAt[0]) / 1e6);
    out.printf(
        "| %s | %s | %,d | %d | %.0f ms | %.0f ms | %s |%n",
        how,
        router ? "Vigil router" : "HAProxy",
        result.count(),
        result.failed(),
        result.slowestMs(breakFromStart - TimeUnit.SECONDS.toNanos(1)),
        result.longestGapMs(breakFromStart),
        outAfter);
    // mend the zone and wait until both proxies use it again
    if (how.equals("killed")) {
      startBackend(BROKEN);
    } else {
      backends.get(BROKEN).resume();
    }
    awaitAllUp();
  }

  private void startBackend(String zone) {
    int port = ports.get(zone);
    List<String> command =
        List.of(
            Tools.java().toString(),
            "-XX:+UseSerialGC",
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            EchoBackend.class.getName(),
            Integer.toString(port),
            zone);
    ManagedProcess p =
        ManagedProcess.start(
            "bench-backend-" + zone,
            command,
            Map.of(),
            ws.root(),
            ws.log("bench-backend-" + zone),
            false);
    Readiness.await(
        p,
        "echo backend " + zone,
        Duration.ofSeconds(20),
        () -> Http.get("http://127.0.0.1:" + port + "/q/health/ready").status() == 200);
    backends.put(zone, p);
  }

  private void register(EtcdCluster etcd) {
    for (String zone : ZONES) {
      String key =
          "/vigil/regions/"
              + REGION
              + "/zones/"
              + zone
              + "/instances/monitoring-service/echo-"
              + zone;
      String value =
          "{\"url\":\"http://127.0.0.1:"
              + ports.get(zone)
              + "\",\"service\":\"monitoring-service\",\"zone\":\""
              + zone
              + "\",\"region\":\""
              + REGION
              + "\",\"version\":\"bench\",\"startedAt\":\"2026-01-01T00:00:00Z\"}";
      etcd.asRoot(Duration.ofSeconds(10), "put", key, value).run("");
    }
  }

  private ManagedProcess startHaproxy(Path haproxy) throws IOException {
    haproxyPort = Ports.free();
    haproxySocket = ws.root().resolve("haproxy.sock");
    String cfg;
    try (InputStream in = RouterBenchmark.class.getResourceAsStream("/bench/haproxy-zones.cfg")) {
      cfg = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    cfg =
        cfg.replace("127.0.0.1:18080", "127.0.0.1:" + haproxyPort)
            .replace("127.0.0.1:18081", "127.0.0.1:" + ports.get("zone-a"))
            .replace("127.0.0.1:18082", "127.0.0.1:" + ports.get("zone-b"))
            .replace("127.0.0.1:18083", "127.0.0.1:" + ports.get("zone-c"))
            .replace(
                "global\n",
                "global\n    stats socket " + haproxySocket + " mode 600 level admin\n");
    Path file = ws.root().resolve("haproxy.cfg");
    Files.writeString(file, cfg);
    ManagedProcess p =
        ManagedProcess.start(
            "bench-haproxy",
            List.of(haproxy.toString(), "-db", "-f", file.toString()),
            Map.of(),
            ws.root(),
            ws.log("bench-haproxy"),
            false);
    Readiness.await(
        p,
        "haproxy",
        Duration.ofSeconds(20),
        () -> Http.get("http://127.0.0.1:" + haproxyPort + PATH).status() == 200);
    return p;
  }

  /** What the router's readiness check says of its warm-up. */
  private String warmupOutcome(String managementUrl) {
    Matcher m =
        Pattern.compile("\"warm-up\"\\s*:\\s*\"([^\"]*)\"")
            .matcher(Http.get(managementUrl + "/q/health/ready").body());
    return m.find() ? m.group(1) : "not reported";
  }

  /** Waits until the router forwards a request (answered 200); answers when, in nanoTime. */
  private long firstForwarded() {
    long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Http.get("http://127.0.0.1:" + routerPort + PATH).status() != 200) {
      if (System.nanoTime() > limit) {
        throw new IllegalStateException("the router forwarded nothing within 30 s of being ready");
      }
      sleep(5);
    }
    return System.nanoTime();
  }

  private void awaitAllUp() {
    BooleanSupplier up = () -> ZONES.stream().allMatch(z -> zoneUp(true, z) && zoneUp(false, z));
    long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!up.getAsBoolean()) {
      if (System.nanoTime() > limit) {
        throw new IllegalStateException("the zones did not come back UP in both proxies in 30 s");
      }
      sleep(50);
    }
    sleep(1000); // past the router's slow start of the mended zone's first second
  }

  /** Whether the proxy routes to the zone now. */
  private boolean zoneUp(boolean router, String zone) {
    if (router) {
      Http.Response r =
          Http.as(operatorKey).read("http://127.0.0.1:" + routerPort + "/routing/zones");
      return r.status() == 200
          && r.body().replace(" ", "").contains("\"zone\":\"" + zone + "\",\"state\":\"UP\"");
    }
    for (String line : haproxyStats().split("\n")) {
      String[] f = line.split(",");
      if (f.length > 17 && f[0].equals("be_zones") && f[1].equals(zone)) {
        return f[17].startsWith("UP");
      }
    }
    return false;
  }

  private String haproxyStats() {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(haproxySocket));
      ch.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      StringBuilder sb = new StringBuilder();
      while (ch.read(buf) > 0) {
        buf.flip();
        sb.append(StandardCharsets.US_ASCII.decode(buf));
        buf.clear();
      }
      return sb.toString();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * A wrk run's figures, and the CPU seconds (user, system) the measured process used during it.
   */
  record Wrk(double rps, long requests, String p50, String p99, double user, double system) {

    /** CPU microseconds per request. */
    double cpuMicros() {
      return micros(user + system);
    }

    /** CPU seconds spread over the requests, in microseconds. */
    double micros(double seconds) {
      return requests == 0 ? 0 : seconds * 1e6 / requests;
    }
  }

  /** A wrk run with the CPU the process behind the port used meanwhile. */
  private static Wrk measured(Path wrk, int port, Duration duration, ManagedProcess process) {
    double[] before = ProcessCpu.seconds(process.pid());
    Wrk w = wrk(wrk, port, duration);
    double[] after = ProcessCpu.seconds(process.pid());
    return new Wrk(w.rps, w.requests, w.p50, w.p99, after[0] - before[0], after[1] - before[1]);
  }

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern P50 = Pattern.compile("\\s50%\\s+([0-9.]+\\w+)");
  private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+\\w+)");
  private static final Pattern REQUESTS = Pattern.compile("([0-9]+) requests in");

  private static Wrk wrk(Path wrk, int port, Duration duration) {
    String output =
        Commands.runChecked(
            List.of(
                wrk.toString(),
                "-t1",
                "-c32",
                "-d" + duration.toSeconds() + "s",
                "--latency",
                "http://127.0.0.1:" + port + PATH),
            duration.plusSeconds(30));
    Matcher rps = RPS.matcher(output);
    Matcher p50 = P50.matcher(output);
    Matcher p99 = P99.matcher(output);
    Matcher requests = REQUESTS.matcher(output);
    if (!rps.find() || !p50.find() || !p99.find() || !requests.find()) {
      throw new IllegalStateException("unexpected wrk output:\n" + output);
    }
    if (output.contains("Non-2xx or 3xx responses")) {
      throw new IllegalStateException("wrk saw errors on port " + port + ":\n" + output);
    }
    return new Wrk(
        Double.parseDouble(rps.group(1)),
        Long.parseLong(requests.group(1)),
        p50.group(1),
        p99.group(1),
        0,
        0);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
