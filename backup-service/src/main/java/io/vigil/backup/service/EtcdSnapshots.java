package io.vigil.backup.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.process.Commands;
import io.vigil.process.Tools;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * etcd snapshots through jetcd's {@code Maintenance.snapshot}. A snapshot counts only after its
 * integrity is checked: etcd appends the SHA-256 of the database to the stream, which must match;
 * where {@code etcdctl} is installed, {@code etcdctl snapshot status} must also read it and gives
 * its exact revision.
 */
@ApplicationScoped
public class EtcdSnapshots {

  private final EtcdGateway etcd;
  private final BackupRepository repository;
  private final RegionConfig region;
  private final ObjectMapper json;

  private final PostgresBaseBackups postgres;

  EtcdSnapshots(
      EtcdGateway etcd,
      BackupRepository repository,
      RegionConfig region,
      ObjectMapper json,
      PostgresBaseBackups postgres) {
    this.postgres = postgres;
    this.etcd = etcd;
    this.repository = repository;
    this.region = region;
    this.json = json;
  }

  /** Whether there is an etcd to back up. */
  public boolean enabled() {
    return etcd.enabled();
  }

  /** Takes, checks and stores one snapshot. */
  public RecoveryPoint snapshot(String id, Progress progress) throws Exception {
    Path staging = repository.staging(id);
    try {
      Path file = staging.resolve(id + ".db");
      Instant started = Instant.now();
      long revision = etcd.revision().await().atMost(Duration.ofSeconds(10));
      progress.phase("streaming the snapshot");
      try (OutputStream out =
          new FilterOutputStream(Files.newOutputStream(file)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
              progress.add(len);
            }
          }) {
        etcd.snapshot(out, Duration.ofMinutes(10)).await().atMost(Duration.ofMinutes(11));
      }
      // the PostgreSQL position of the same moment: a recovery point of the region pairs both
      String lsn = postgres.currentLsn().orElse(null);
      progress.phase("checking the snapshot");
      checkTrailer(file);
      String verified = "sha256 trailer";
      Optional<Long> exact = statusRevision(file);
      if (exact.isPresent()) {
        revision = exact.get();
        verified += ", etcdctl snapshot status";
      }
      long size = Files.size(file);
      String sha = BackupRepository.sha256(file);
      return repository.store(
          file,
          new RecoveryPoint(
              "etcd",
              id,
              region.name(),
              BackupRepository.artifactPath("etcd", id),
              size,
              sha,
              started,
              started,
              revision,
              lsn,
              null,
              null,
              verified,
              null));
    } finally {
      BackupRepository.deleteTree(staging);
    }
  }

  /** The last 32 bytes of a snapshot are the SHA-256 of everything before them. */
  static void checkTrailer(Path file) throws IOException {
    long size = Files.size(file);
    if (size <= 32) {
      throw new IOException("etcd snapshot of " + size + " bytes is too short");
    }
    MessageDigest digest = BackupRepository.digest();
    byte[] buffer = new byte[1 << 16];
    byte[] trailer = new byte[32];
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long remaining = size - 32;
      while (remaining > 0) {
        int n = raf.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw new IOException("etcd snapshot ended early");
        }
        digest.update(buffer, 0, n);
        remaining -= n;
      }
      raf.readFully(trailer);
    }
    byte[] actual = digest.digest();
    if (!Arrays.equals(actual, trailer)) {
      throw new IOException(
          "etcd snapshot integrity check failed: SHA-256 "
              + HexFormat.of().formatHex(actual)
              + " does not match the trailer "
              + HexFormat.of().formatHex(trailer));
    }
  }

  private Optional<Long> statusRevision(Path file) throws Exception {
    Optional<Path> etcdctl = Tools.which("etcdctl");
    if (etcdctl.isEmpty()) {
      return Optional.empty();
    }
    String out =
        Commands.output(
            List.of(etcdctl.get().toString(), "snapshot", "status", file.toString(), "-w", "json"),
            java.util.Map.of(),
            null);
    JsonNode status = json.readTree(out.substring(out.indexOf('{')));
    if (!status.has("revision")) {
      throw new IOException("etcdctl snapshot status gave no revision: " + out);
    }
    return Optional.of(status.get("revision").asLong());
  }
}
