package io.vigil.backup.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.process.Commands;
import io.vigil.process.Tools;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL physical base backups: {@code pg_basebackup} (fast checkpoint, WAL streamed alongside,
 * a backup manifest with SHA-256 checksums of every file), checked with {@code pg_verifybackup}
 * before it counts, then packed as a zstd-compressed tar (multi-threaded), encrypted when the
 * repository has keys, into the repository with its start LSN, consistent (end) LSN and timeline.
 */
@ApplicationScoped
public class PostgresBaseBackups {

  private static final Pattern PROGRESS = Pattern.compile("(\\d+)/(\\d+) kB");
  private static final Pattern START_LSN =
      Pattern.compile("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+)");
  private static final Pattern START_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");

  private final BackupConfig.Postgres config;
  private final BackupRepository repository;
  private final RegionConfig region;
  private final ObjectMapper json;

  private final EtcdGateway etcd;
  private final PostgresSource source;
  private final int compressionLevel;
  private final int compressionThreads;

  PostgresBaseBackups(
      BackupConfig config,
      BackupRepository repository,
      RegionConfig region,
      ObjectMapper json,
      EtcdGateway etcd,
      PostgresSource source) {
    this.etcd = etcd;
    this.source = source;
    this.config = config.postgres();
    this.repository = repository;
    this.region = region;
    this.json = json;
    this.compressionLevel = config.compression().level();
    this.compressionThreads = config.compression().threads();
  }

  /** Whether a PostgreSQL server is configured. */
  public boolean enabled() {
    return config.host().isPresent();
  }

  /** Takes, verifies and stores one base backup. */
  public RecoveryPoint backup(String id, Progress progress) throws Exception {
    Path bin = Tools.postgresClientBin(config.binDir());
    Path staging = repository.staging(id);
    try {
      Path data = staging.resolve("data");
      Map<String, String> env = new HashMap<>();
      config.password().ifPresent(p -> env.put("PGPASSWORD", p));
      env.put("PGCONNECT_TIMEOUT", "10");
      Instant started = Instant.now();
      PatroniLeader primary =
          source
              .primary()
              .orElseThrow(() -> new IOException("no PostgreSQL primary right now (a failover?)"));
      progress.phase("pg_basebackup");
      Commands.output(
          List.of(
              bin.resolve("pg_basebackup").toString(),
              "--host=" + primary.host(),
              "--port=" + primary.port(),
              "--username=" + config.user(),
              "--no-password",
              "--pgdata=" + data,
              "--format=plain",
              "--wal-method=stream",
              "--checkpoint=fast",
              "--manifest-checksums=SHA256",
              "--label=vigil-" + id,
              "--progress"),
          env,
          line -> {
            Matcher m = PROGRESS.matcher(line);
            if (m.find()) {
              progress.bytes(Long.parseLong(m.group(1)) * 1024);
              progress.total(Long.parseLong(m.group(2)) * 1024);
            }
          });
      Instant consistent = Instant.now();
      // the etcd revision of the same moment: a recovery point of the region pairs both
      Long revision = etcdRevision();
      progress.phase("pg_verifybackup");
      Commands.output(
          List.of(bin.resolve("pg_verifybackup").toString(), data.toString()), env, null);

      String label = Files.readString(data.resolve("backup_label"));
      Matcher lsn = START_LSN.matcher(label);
      Matcher timeline = START_TIMELINE.matcher(label);
      if (!lsn.find() || !timeline.find()) {
        throw new IOException("backup_label without start LSN and timeline:\n" + label);
      }
      String endLsn = endLsn(data.resolve("backup_manifest"));

      progress.phase("packing");
      return pack(
          data,
          staging,
          new RecoveryPoint(
              "postgres",
              id,
              region.name(),
              BackupRepository.artifactPath("postgres", id),
              0,
              null,
              started,
              consistent,
              revision,
              lsn.group(1),
              endLsn,
              Integer.parseInt(timeline.group(1)),
              "pg_verifybackup",
              null));
    } finally {
      BackupRepository.deleteTree(staging);
    }
  }

  /**
   * Packs the verified data directory in one streaming pass: {@code tar} into {@code zstd} on every
   * core, read here, encrypted and digested as it is written, then stored. Nothing of the packed
   * backup is written twice.
   */
  private RecoveryPoint pack(Path data, Path staging, RecoveryPoint point) throws Exception {
    Path tarErrors = staging.resolve("tar.err");
    Path zstdErrors = staging.resolve("zstd.err");
    List<Process> pipeline =
        ProcessBuilder.startPipeline(
            List.of(
                new ProcessBuilder("tar", "-C", data.toString(), "-cf", "-", ".")
                    .redirectError(tarErrors.toFile()),
                new ProcessBuilder(
                        "zstd", "-q", "-c", "-T" + compressionThreads, "-" + compressionLevel)
                    .redirectError(zstdErrors.toFile())));
    Path packed = staging.resolve("base.tar.zst");
    RecoveryPoint written;
    try (java.io.InputStream out = pipeline.get(1).getInputStream()) {
      written = repository.write(out, packed, point);
    } catch (IOException | RuntimeException e) {
      pipeline.forEach(Process::destroyForcibly);
      throw e;
    }
    // only a pipeline that ended well is stored: a cut tar never counts
    for (int i = 0; i < pipeline.size(); i++) {
      Process p = pipeline.get(i);
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        Path errors = i == 0 ? tarErrors : zstdErrors;
        throw new IOException(
            (i == 0 ? "tar" : "zstd")
                + " failed while packing the base backup: "
                + (Files.exists(errors) ? Files.readString(errors).strip() : "no output"));
      }
    }
    return repository.put(packed, written);
  }

  /** The current etcd revision; null without etcd or when it cannot be read now. */
  private Long etcdRevision() {
    if (!etcd.enabled()) {
      return null;
    }
    try {
      return etcd.revision().await().atMost(java.time.Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The server's WAL position now (replayed position on a replica), for pairing with an etcd
   * snapshot; empty without PostgreSQL or when it cannot be read now.
   */
  public Optional<String> currentLsn() {
    Optional<PatroniLeader> primary = source.primary();
    if (primary.isEmpty()) {
      return Optional.empty();
    }
    try {
      Map<String, String> env = new HashMap<>();
      config.password().ifPresent(p -> env.put("PGPASSWORD", p));
      env.put("PGCONNECT_TIMEOUT", "5");
      String out =
          Commands.output(
              List.of(
                  Tools.postgresClientBin(config.binDir()).resolve("psql").toString(),
                  "--host=" + primary.get().host(),
                  "--port=" + primary.get().port(),
                  "--username=" + config.user(),
                  "--no-password",
                  "--dbname=postgres",
                  "-Atc",
                  "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
                      + " ELSE pg_current_wal_lsn() END"),
              env,
              null);
      return Optional.of(out.strip()).filter(s -> s.matches("[0-9A-F]+/[0-9A-F]+"));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** The end LSN of the backup's WAL range, from its manifest. */
  private String endLsn(Path manifest) throws IOException {
    JsonNode ranges = json.readTree(manifest.toFile()).path("WAL-Ranges");
    if (!ranges.isArray() || ranges.isEmpty()) {
      throw new IOException("backup manifest without WAL ranges: " + manifest);
    }
    return ranges.get(ranges.size() - 1).path("End-LSN").asText();
  }
}
