package io.vigil.testkit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
      String workDir) {

    /** Whether this very process still runs (same PID and same start time: no PID reuse). */
    public boolean running() {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .flatMap(h -> h.info().startInstant())
          .map(i -> i.toEpochMilli() == startedAt)
          .orElse(false);
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

  /** The standby region's backup repository (a directory holding this region's copies). */
  public String standbyRepository;

  /** Where API consumers send requests: the router. */
  public String routerUrl;

  /** The monitoring API's operator key (creates service instances and API keys). */
  public String operatorKey;

  /** The demo service instance (tenant and data mart) created by {@code vigil up}. */
  public String serviceInstanceId;

  /** Base URL of the demo instance's v2 API, through the router. */
  public String apiUrl;

  /** An API key of the demo service instance. */
  public String apiKey;

  /** etcd client endpoints, comma-separated. */
  public String etcdEndpoints;

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
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), this);
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
            p.workDir() == null ? null : p.workDir().toString()));
  }

  /** Replaces the entry of a process that was started again. */
  public void replace(Process old, ManagedProcess p) {
    int i = processes.indexOf(old);
    processes.remove(old);
    add(p, old.role(), old.zone(), old.endpoint());
    Process added = processes.remove(processes.size() - 1);
    processes.add(i < 0 ? processes.size() : i, added);
  }

  /** The processes still running. */
  public List<Process> running() {
    return processes.stream().filter(Process::running).toList();
  }
}
