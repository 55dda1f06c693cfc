package io.vigil.process;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * Launches a packaged Vigil service ({@code <module>/target/quarkus-app}) as a process. On a JDK
 * with AOT caches (25+) it uses {@code app.aot} beside the application, training it first with a
 * short run of the service itself when it is missing or older than the application.
 */
public final class QuarkusService {

  private static final Logger LOG = Logger.getLogger(QuarkusService.class);

  /** JVM options of every service: small heap, serial GC (2-core machines), die on OOM. */
  public static final List<String> JVM_OPTIONS =
      List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError");

  /** How long the router's AOT training run warms its forwarding path up. */
  static final String TRAINING_WARMUP = "10s";

  /** Whether to use the AOT cache. */
  public enum Aot {
    /** Train the cache when needed and use it (on JDK 25 and later; plain JVM before). */
    AUTO,
    /** Plain JVM. */
    OFF
  }

  private QuarkusService() {}

  /**
   * A started service: its process, where it serves its API ({@code url}) and where its management
   * interface answers {@code /q/*} (health, metrics, OpenAPI): another port, which the router never
   * forwards to.
   */
  public record Started(ManagedProcess process, String url, String managementUrl) {}

  /** The packaged application directory of a module, e.g. {@code router-service}. */
  public static Path appDir(String module) {
    Path dir = Tools.projectRoot().resolve(module).resolve("target/quarkus-app");
    if (!Files.isRegularFile(dir.resolve("quarkus-run.jar"))) {
      throw new IllegalStateException(
          module + " is not built (" + dir + "); build it with: ./mvnw -B package -DskipTests");
    }
    return dir;
  }

  /**
   * Starts a service and waits until {@code /q/health/ready} and then {@code /q/health/started}
   * (registered in etcd) answer 200 on its management interface (a free port of its own).
   *
   * @param name process name (logs, region.json), e.g. {@code monitoring-zone-a}
   * @param module the service's module
   * @param port HTTP port
   * @param config configuration, passed in a file only this user can read
   */
  public static Started start(
      Workspace ws, String name, String module, int port, Map<String, String> config, Aot aot) {
    Path app = appDir(module);
    List<String> options = new ArrayList<>(JVM_OPTIONS);
    if (aot == Aot.AUTO && aotSupported()) {
      Path cache = ensureAotCache(ws, module, app, config);
      if (cache != null) {
        options.add("-XX:AOTCache=" + cache);
      }
    }
    Started s = launch(ws, name, app, port, config, options);
    awaitReady(s, Duration.ofSeconds(90));
    Readiness.await(
        s.process(),
        name + " started",
        Duration.ofSeconds(30),
        () -> Http.get(s.managementUrl() + "/q/health/started").status() == 200);
    return s;
  }

  /** Whether this JDK has AOT caches with {@code -XX:AOTCacheOutput} (JDK 25+). */
  public static boolean aotSupported() {
    return Tools.javaFeature() >= 25;
  }

  /** Waits until the service answers its readiness probe with 200. */
  public static void awaitReady(Started s, Duration timeout) {
    Readiness.await(
        s.process(),
        s.process().name() + " ready",
        timeout,
        () -> Http.get(s.managementUrl() + "/q/health/ready").status() == 200);
  }

  /**
   * Starts the process without waiting: its API on {@code port}, its management interface on a free
   * loopback port.
   */
  public static Started launch(
      Workspace ws,
      String name,
      Path app,
      int port,
      Map<String, String> config,
      List<String> jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Tools.java().toString());
    command.addAll(jvmOptions);
    Map<String, String> all = new TreeMap<>(config);
    all.put("quarkus.http.port", Integer.toString(port));
    int management = Ports.free();
    all.put("quarkus.management.host", "127.0.0.1");
    all.put("quarkus.management.port", Integer.toString(management));
    // configuration holds keys and passwords: a file only this user reads, never the command line
    command.add("-Dquarkus.config.locations=" + writeConfig(ws, name, all));
    command.add("-jar");
    command.add(app.resolve("quarkus-run.jar").toString());
    return new Started(
        ws.start(name, command, Map.of()),
        "http://127.0.0.1:" + port,
        "http://127.0.0.1:" + management);
  }

  /**
   * Writes a process's configuration to {@code <workspace>/<name>.properties}, mode 0600, ranked
   * above everything but system properties ({@code config_ordinal} 390, over the environment's 300
   * and the packaged application.properties' 250).
   */
  static Path writeConfig(Workspace ws, String name, Map<String, String> config) {
    Properties properties = new Properties();
    properties.putAll(config);
    properties.put("config_ordinal", "390");
    Path file = ws.root().resolve(name + ".properties").toAbsolutePath();
    StringWriter text = new StringWriter();
    try {
      properties.store(text, "configuration of " + name + " (written by the vigil command)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Workspace.writePrivate(file, text.toString());
    return file;
  }

  /**
   * Answers an up-to-date AOT cache of the module, training one first when needed: the service runs
   * with {@code -XX:AOTCacheOutput} until ready, serves its probes, metrics and OpenAPI a few
   * times, and stops; the JVM writes the cache as it exits. Answers null when training failed (the
   * service then starts on the plain JVM, and the log says why).
   */
  static synchronized Path ensureAotCache(
      Workspace ws, String module, Path app, Map<String, String> config) {
    Path cache = app.resolve("app.aot");
    Path stamp = app.resolve("app.aot.jdk");
    String jdk = System.getProperty("java.home") + " " + Runtime.version();
    try {
      if (Files.isRegularFile(cache)
          && Files.isRegularFile(stamp)
          && Files.readString(stamp).equals(jdk)
          && Files.getLastModifiedTime(cache)
                  .compareTo(Files.getLastModifiedTime(app.resolve("quarkus-run.jar")))
              > 0) {
        return cache;
      }
      Files.deleteIfExists(cache);
      LOG.infof("Training the AOT cache of %s (once per build)", module);
      Map<String, String> training = new TreeMap<>(config);
      training.put("vigil.region.instance-id", module + "-aot-training");
      // the router's training run forwards load through itself for a while, so the cache holds
      // the profiles of its forwarding path (what a fresh JIT otherwise learns under traffic)
      training.put("vigil.router.warmup.duration", TRAINING_WARMUP);
      List<String> options = new ArrayList<>(JVM_OPTIONS);
      options.add("-XX:AOTCacheOutput=" + cache);
      Started s = launch(ws, module + "-aot-training", app, Ports.free(), training, options);
      ManagedProcess p = s.process();
      try {
        awaitReady(s, Duration.ofSeconds(60));
      } catch (IllegalStateException e) {
        LOG.warnf(
            "%s did not get ready during AOT training; the cache covers start-up only", module);
      }
      String base = s.managementUrl();
      for (int i = 0; i < 5; i++) {
        for (String path :
            List.of(
                "/q/health/live",
                "/q/health/ready",
                "/q/health/started",
                "/q/metrics",
                "/q/openapi")) {
          Http.get(base + path);
        }
      }
      p.stop(Duration.ofSeconds(120)); // the JVM writes the cache as it exits
      if (!Files.isRegularFile(cache)) {
        LOG.warnf("No AOT cache was written for %s; see %s", module, p.log());
        return null;
      }
      Files.writeString(stamp, jdk);
      return cache;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
