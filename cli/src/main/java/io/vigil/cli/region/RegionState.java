package io.vigil.cli.region;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vigil.process.EtcdCluster;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.QuarkusService;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code .vigil/region.json} holds: the region's endpoints for people and scripts, and every
 * process with its role, zone, endpoint and PID so that {@code vigil down} can stop them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class RegionState {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One process of the region. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Process(
      String name,
      String role,
      String zone,
      String endpoint,
      long pid,
      long startedAt,
      String log,
      List<String> command,
      String workDir,
      String detachedPidFile,
      String management) {

    /** Whether this very process still runs (same PID and same start time: no PID reuse). */
    public boolean running() {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .flatMap(h -> h.info().startInstant())
          .map(i -> i.toEpochMilli() == startedAt)
          .orElse(false);
    }

    /**
     * The process this one started that is not its child and outlives it: the postmaster of a
     * PostgreSQL that Patroni runs (Patroni starts it in a session of its own, so that PostgreSQL
     * keeps serving while Patroni restarts), named by its {@code postmaster.pid}.
     */
    public Optional<ProcessHandle> detached() {
      if (detachedPidFile == null) {
        return Optional.empty();
      }
      try {
        List<String> lines = Files.readAllLines(Path.of(detachedPidFile));
        if (lines.isEmpty()) {
          return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
            .filter(ProcessHandle::isAlive)
            .filter(h -> h.info().command().map(c -> c.contains("postgres")).orElse(false));
      } catch (IOException | NumberFormatException e) {
        return Optional.empty();
      }
    }

    /** Whether this process or the one it detached still runs. */
    public boolean alive() {
      return running() || detached().isPresent();
    }

    /** Sends a signal to this process, its children and the process it detached (with theirs). */
    public void signal(String signal) {
      Optional<ProcessHandle> detached = detached();
      if (running()) {
        ManagedProcess.signalTree(pid, signal);
      }
      detached.ifPresent(h -> ManagedProcess.signalTree(h.pid(), signal));
    }
  }

  /** Region name. */
  public String region;

  /** The standby region ({@code vigil up --dr}); null without one. */
  public String standbyRegion;

  /** The standby region's router, which the region's router fails over to. */
  public String standbyRouterUrl;

  /** The standby region's etcd client endpoints. */
  public String standbyEtcdEndpoints;

  /** Passwords of the standby region's etcd users (root and the services'), by user name. */
  public Map<String, String> standbyEtcdPasswords = new LinkedHashMap<>();

  /** The standby region's backup repository (a directory holding this region's copies). */
  public String standbyRepository;

  /** Where API consumers send requests: the router. */
  public String routerUrl;

  /** The operator key of every service (vigil.security.operator-key). */
  public String operatorKey;

  /** The read-only operator key of every service (vigil.security.reader-key). */
  public String readerKey;

  /**
   * The key monitoring-services seal tenants' credentials with ({@code
   * vigil.monitoring.secrets.keys}, {@code id:base64}); the standby region's gets it too.
   */
  public String secretsKey;

  /**
   * The key every backup artifact is encrypted with ({@code vigil.backup.encryption.keys}, {@code
   * id:base64}); the standby region's backup-service has it too, to restore the copies.
   */
  public String backupKey;

  /** The demo service instance (tenant and data mart) created by {@code vigil up}. */
  public String serviceInstanceId;

  /** Base URL of the demo instance's v2 API, through the router. */
  public String apiUrl;

  /** An API key of the demo service instance. */
  public String apiKey;

  /** etcd client endpoints, comma-separated. */
  public String etcdEndpoints;

  /** Passwords of the region's etcd users (root, the services' and Patroni's), by user name. */
  public Map<String, String> etcdPasswords = new LinkedHashMap<>();

  /** JDBC URL of the PostgreSQL primary. */
  public String postgresUrl;

  /** PostgreSQL superuser password (local region only). */
  public String postgresPassword;

  /** Whether the data layer is highly available (Patroni) or a single server. */
  public String dataLayer;

  /** S3-compatible storage endpoint and credentials. */
  public String s3Endpoint;

  /** S3 access key. */
  public String s3AccessKey;

  /** S3 secret key. */
  public String s3SecretKey;

  /** Every process, in start order. */
  public List<Process> processes = new ArrayList<>();

  /** Reads the state file, if there is one. */
  public static Optional<RegionState> read(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), RegionState.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Writes the state file atomically. */
  public void write(Path file) {
    try {
      // it holds the operator and database keys: readable by its owner only, from the start
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Workspace.writePrivate(tmp, JSON.writeValueAsString(this));
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Adds a process. */
  public void add(ManagedProcess p, String role, String zone, String endpoint) {
    add(p, role, zone, endpoint, null, null);
  }

  /** Adds a Vigil service: its API's URL and its management interface's ({@code /q/*}). */
  public void add(QuarkusService.Started s, String role, String zone) {
    add(s.process(), role, zone, s.url(), null, s.managementUrl());
  }

  /** Adds a process that leaves another running, named by {@code detachedPidFile}. */
  public void add(
      ManagedProcess p, String role, String zone, String endpoint, String detachedPidFile) {
    add(p, role, zone, endpoint, detachedPidFile, null);
  }

  private void add(
      ManagedProcess p,
      String role,
      String zone,
      String endpoint,
      String detachedPidFile,
      String management) {
    long started =
        ProcessHandle.of(p.pid())
            .flatMap(h -> h.info().startInstant())
            .map(java.time.Instant::toEpochMilli)
            .orElse(0L);
    processes.add(
        new Process(
            p.name(),
            role,
            zone,
            endpoint,
            p.pid(),
            started,
            p.log().toString(),
            p.command(),
            p.workDir() == null ? null : p.workDir().toString(),
            detachedPidFile,
            management));
  }

  /** Replaces the entry of a process that was started again. */
  public void replace(Process old, ManagedProcess p) {
    int i = processes.indexOf(old);
    processes.remove(old);
    add(p, old.role(), old.zone(), old.endpoint(), old.detachedPidFile(), old.management());
    Process added = processes.remove(processes.size() - 1);
    processes.add(i < 0 ? processes.size() : i, added);
  }

  /** The processes still running, or whose detached process still runs. */
  public List<Process> running() {
    return processes.stream().filter(Process::alive).toList();
  }

  /** The Patroni scope of a local region: {@code vigil-<region>}. */
  public static String patroniScope(String region) {
    return "vigil-" + region;
  }

  /** The region's etcd user {@code name} (root: {@link EtcdCluster#ROOT}). */
  public EtcdCluster.User etcdUser(String name) {
    return new EtcdCluster.User(name, etcdPasswords.get(name));
  }

  /** The standby region's etcd user {@code name}. */
  public EtcdCluster.User standbyEtcdUser(String name) {
    return new EtcdCluster.User(name, standbyEtcdPasswords.get(name));
  }

  /** An etcdctl call as root against the region's etcd. */
  public EtcdCluster.Call etcdctl(Duration timeout, String... args) {
    return new EtcdCluster.Call(etcdEndpoints, etcdUser(EtcdCluster.ROOT), timeout, args);
  }

  /** Calls to the region's control surfaces with the operator key. */
  public Http operator() {
    return Http.as(operatorKey);
  }

  /** A new AES-256 key for sealing credentials, as {@code id:base64}. */
  public static String newSecretsKey() {
    return newAesKey("k");
  }

  /** A new AES-256 key for encrypting backups, as {@code id:base64}. */
  public static String newBackupKey() {
    return newAesKey("backup-");
  }

  private static String newAesKey(String prefix) {
    byte[] bytes = new byte[32];
    new java.security.SecureRandom().nextBytes(bytes);
    return prefix
        + java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString().replace("-", "")
        + ":"
        + java.util.Base64.getEncoder().encodeToString(bytes);
  }

  /** A new random key: {@code prefix} and 256 random bits, URL-safe. */
  public static String newKey(String prefix) {
    byte[] bytes = new byte[32];
    new java.security.SecureRandom().nextBytes(bytes);
    return prefix + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * What every monitoring-service of a local region is given, the standby region's restored one
   * too: the credential key, and notifications allowed to receivers on this machine (everything
   * else in the default deny list stays refused) with a 5 s request timeout.
   */
  public java.util.Map<String, String> monitoringSettings() {
    java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
    settings.put("vigil.monitoring.secrets.keys", secretsKey);
    settings.put("vigil.monitoring.outbound.allow", "127.0.0.0/8");
    settings.put("vigil.monitoring.notifications.timeout", "5s");
    return settings;
  }
}
