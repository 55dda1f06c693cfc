package io.vigil.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Finds the programs the test kit runs, and says what to install when one is missing. Each can be
 * overridden by a system property or environment variable.
 */
public final class Tools {

  private static final Properties BUILD = load();

  private Tools() {}

  /** The etcd server binary ({@code vigil.etcd} / {@code VIGIL_ETCD}). */
  public static Path etcd() {
    return find("etcd", "vigil.etcd", "VIGIL_ETCD", "apt-get install etcd-server");
  }

  /** The etcdctl client binary. */
  public static Path etcdctl() {
    return find("etcdctl", "vigil.etcdctl", "VIGIL_ETCDCTL", "apt-get install etcd-client");
  }

  /** The patroni launcher. */
  public static Path patroni() {
    return find("patroni", "vigil.patroni", "VIGIL_PATRONI", "apt-get install patroni");
  }

  /** Whether Patroni is installed. */
  public static boolean hasPatroni() {
    return which("patroni").isPresent() || configured("vigil.patroni", "VIGIL_PATRONI") != null;
  }

  /**
   * The PostgreSQL server binaries directory ({@code vigil.pg.bindir} / {@code VIGIL_PG_BINDIR}):
   * the newest {@code /usr/lib/postgresql/N/bin} with {@code initdb} in it.
   */
  public static Path postgresBin() {
    String configured = configured("vigil.pg.bindir", "VIGIL_PG_BINDIR");
    if (configured != null) {
      return Path.of(configured);
    }
    return newestPostgresBin("initdb")
        .orElseThrow(
            () -> missing("PostgreSQL server (initdb, postgres)", "apt-get install postgresql"));
  }

  /**
   * The directory of PostgreSQL's client tools (pg_basebackup, pg_receivewal, pg_waldump, psql):
   * the configured one, else the newest {@code /usr/lib/postgresql/N/bin} that has them, else the
   * PATH.
   */
  public static Path postgresClientBin(Optional<Path> configured) {
    if (configured.isPresent()) {
      return configured.get();
    }
    return newestPostgresBin("pg_basebackup")
        .or(() -> which("pg_basebackup").map(Path::getParent))
        .orElseThrow(
            () ->
                missing(
                    "PostgreSQL client tools (pg_basebackup)",
                    "apt-get install postgresql-client, or configure their directory"));
  }

  private static Optional<Path> newestPostgresBin(String binary) {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve(binary)))
          .max(Comparator.comparingInt(Tools::majorOf));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The java launcher of the JDK this JVM runs on. */
  public static Path java() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** Feature version of the JDK this JVM runs on (e.g. 25). */
  public static int javaFeature() {
    return Runtime.version().feature();
  }

  /**
   * The root of the Vigil checkout ({@code vigil.home} / {@code VIGIL_HOME}), by default the one
   * this test kit was built from.
   */
  public static Path projectRoot() {
    String configured = configured("vigil.home", "VIGIL_HOME");
    return Path.of(configured != null ? configured : BUILD.getProperty("project.root"));
  }

  /**
   * The S3Proxy jar ({@code vigil.s3proxy.jar}), copied to the process module's target by the
   * build.
   */
  public static Path s3proxyJar() {
    String configured = configured("vigil.s3proxy.jar", "VIGIL_S3PROXY_JAR");
    Path jar =
        configured != null
            ? Path.of(configured)
            : projectRoot().resolve("process/target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw missing(
          "S3Proxy " + BUILD.getProperty("s3proxy.version") + " (" + jar + ")",
          "./mvnw -pl process package -DskipTests (downloads org.gaul:s3proxy)");
    }
    return jar;
  }

  private static Path find(String binary, String property, String env, String install) {
    String configured = configured(property, env);
    if (configured != null) {
      return Path.of(configured);
    }
    return which(binary).orElseThrow(() -> missing(binary, install));
  }

  private static String configured(String property, String env) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(env);
    }
    return value == null || value.isBlank() ? null : value;
  }

  /** Looks a program up on the PATH and in the sbin directories. */
  public static Optional<Path> which(String binary) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/local/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, binary);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  private static IllegalStateException missing(String what, String install) {
    return new IllegalStateException(what + " is not installed; install it with: " + install);
  }

  private static int majorOf(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Tools.class.getResourceAsStream("process.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
