package io.vigil.backup.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.faulttolerance.api.Guard;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.ObjectStore;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.metrics.OwnedGauges;
import io.vigil.commons.postgres.WalPosition;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Copies every artifact of this region's repository into the other region's repository (a directory
 * or a bucket) and verifies it there: the artifact is copied first, then read back from the other
 * repository and its size and SHA-256 compared with the metadata, and only then is the metadata
 * copied — so in the other region, as here, an artifact counts only once it is whole. Deletions
 * (retention) are mirrored. The backup leader copies what it stores as it stores it and, every
 * {@code retry-interval}, whatever the other repository is still missing (after an outage of either
 * side, or a leader change).
 *
 * <p>{@link #standbyDurable()} is how far the region's WAL is safe in the other region: the end of
 * the valid WAL of the newest segment copy verified there, counted only while every earlier WAL
 * artifact is there too (nothing earlier waiting in the queue, and the repositories compared since
 * this instance became the leader). The leader publishes it in etcd ({@link
 * TopologyKeys#standbyDurable}), where a monitoring-service that acknowledges writes only once they
 * would survive the loss of the region waits for it.
 *
 * <p>Over 300 lines on purpose: the copy queue, the comparison with the other repository and the
 * standby-durable position are one piece of state owned by the leader; split apart, each part would
 * need all of it.
 */
@ApplicationScoped
public class RegionCopier {

  private static final Logger LOG = Logger.getLogger(RegionCopier.class);

  /**
   * A failed copy is tried again at once, 250 ms and then 1 s later (a blip of either repository);
   * one that still fails stays queued and the copier waits {@code retry-interval} before the next
   * turn (an outage of the other region).
   */
  private final Guard blips =
      Guard.create()
          .withDescription("region-copy")
          .withRetry()
          .maxRetries(2)
          .delay(250, ChronoUnit.MILLIS)
          .withExponentialBackoff()
          .factor(4)
          .done()
          .abortOn(InterruptedException.class)
          .done()
          .build();

  private final BackupRepository source;
  private final Optional<BackupRepository> copy;
  private final BackupLeader leader;
  private final BackupConfig config;
  private final MeterRegistry metrics;
  private final OwnedGauges gauges;
  private final Set<String> pending = new LinkedHashSet<>();
  private final AtomicReference<Instant> newestCopied = new AtomicReference<>();
  private final EtcdGateway etcd;
  private final String standbyDurableKey;
  private volatile WalPosition standbyDurable;
  private volatile boolean comparedWhileLeading;
  private volatile String lastError;
  private volatile Instant lastVerified;
  private Periodic worker;
  // the worker's own state, touched only by its thread
  private long nextReconcile;

  RegionCopier(
      BackupRepository source,
      BackupLeader leader,
      BackupConfig config,
      RegionConfig region,
      ObjectMapper json,
      MeterRegistry metrics,
      EtcdGateway etcd) {
    this.source = source;
    this.etcd = etcd;
    this.standbyDurableKey = TopologyKeys.standbyDurable(region.name());
    this.leader = leader;
    this.config = config;
    this.metrics = metrics;
    this.gauges = new OwnedGauges(metrics);
    BackupConfig.Copy c = config.copy();
    this.copy =
        c.s3().isPresent() || c.path().isPresent()
            ? Optional.of(
                new BackupRepository(
                    BackupRepository.open(c.path().orElse(Path.of(".")), c.s3(), config),
                    region.name(),
                    json))
            : Optional.empty();
  }

  /** Whether copies are configured. */
  public boolean enabled() {
    return copy.isPresent();
  }

  /** Where copies go. */
  public Optional<String> destination() {
    return copy.map(c -> c.store().describe());
  }

  /** Keys waiting to be copied. */
  public int pending() {
    synchronized (pending) {
      return pending.size();
    }
  }

  /** The last failure, if the last attempt failed. */
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  /** How far this region's WAL is verified in the other region's repository, all of it before. */
  public Optional<WalPosition> standbyDurable() {
    return Optional.ofNullable(standbyDurable);
  }

  /** When the last artifact was verified in the other repository. */
  public Optional<Instant> lastVerified() {
    return Optional.ofNullable(lastVerified);
  }

  void onStart(@Observes StartupEvent event) {
    if (copy.isEmpty()) {
      return;
    }
    source.onStored(this::enqueue);
    source.onDeleted(
        key -> {
          synchronized (pending) {
            pending.remove(key);
            pending.add("-" + key);
            pending.notifyAll();
          }
        });
    gauges.gauge(
        "vigil.backup.copy.pending", Tags.empty(), "artifacts not yet copied", this::pending);
    gauges.gauge(
        "vigil.backup.copy.lag.seconds",
        Tags.empty(),
        "now minus the newest recovery point verified in the other region (NaN before the first)",
        () ->
            Optional.ofNullable(newestCopied.get())
                .map(t -> (System.currentTimeMillis() - t.toEpochMilli()) / 1000.0)
                .orElse(Double.NaN));
    worker = Periodic.onThread("region-copier", Duration.ZERO, this::work);
  }

  void onStop(@Observes ShutdownEvent event) {
    gauges.close();
    if (worker != null) {
      worker.stop();
    }
  }

  private void enqueue(String key) {
    synchronized (pending) {
      pending.add(key);
      pending.notifyAll();
    }
  }

  /** One turn of the copier: compare with the other region when due, then copy one key. */
  private void work() throws InterruptedException {
    if (!leader.leader()) {
      comparedWhileLeading = false;
      nextReconcile = 0; // compare at once when elected
    } else if (System.currentTimeMillis() >= nextReconcile) {
      nextReconcile = System.currentTimeMillis() + config.copy().retryInterval().toMillis();
      comparedWhileLeading = reconcile();
    }
    String key;
    synchronized (pending) {
      if (pending.isEmpty()) {
        pending.wait(500);
        return;
      }
      key = pending.iterator().next();
    }
    try {
      blips.call(
          () -> {
            if (key.startsWith("-")) {
              copy.get().store().delete(key.substring(1));
            } else {
              copyKey(key);
            }
            return null;
          },
          Void.class);
      synchronized (pending) {
        pending.remove(key);
      }
      lastError = null;
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      lastError = key + ": " + e.getMessage();
      metrics.counter("vigil.backup.copies", "outcome", "failure").increment();
      LOG.warnf("Copy to %s failed: %s", destination().orElse("?"), lastError);
      Thread.sleep(config.copy().retryInterval().toMillis());
    }
  }

  /** Copies one key; a metadata key only once its artifact is verified in the other repository. */
  private void copyKey(String key) throws IOException {
    ObjectStore to = copy.get().store();
    if (!key.endsWith(".json")) {
      transfer(key, to);
      return;
    }
    Optional<RecoveryPoint> point = source.read(key);
    if (point.isEmpty()) {
      return; // deleted meanwhile
    }
    String problem = copy.get().check(point.get());
    if (problem != null) {
      // the artifact is missing or damaged there: copy it again, then it must check
      transfer(point.get().region() + "/" + point.get().file(), to);
      problem = copy.get().check(point.get());
      if (problem != null) {
        throw new IOException("verification in the other region failed: " + problem);
      }
    }
    transfer(key, to);
    advanceStandbyDurable(key, point.get());
    lastVerified = Instant.now();
    newestCopied.accumulateAndGet(point.get().time(), (a, b) -> a == null || b.isAfter(a) ? b : a);
    metrics.counter("vigil.backup.copies", "outcome", "success").increment();
  }

  private void transfer(String key, ObjectStore to) throws IOException {
    Optional<InputStream> in = source.store().open(key);
    if (in.isEmpty()) {
      return; // deleted meanwhile (retention, or a superseded partial segment)
    }
    Path staging = to.staging("copy-" + System.nanoTime());
    try {
      Path file = staging.resolve("object");
      try (InputStream s = in.get()) {
        Files.copy(s, file, StandardCopyOption.REPLACE_EXISTING);
      }
      to.put(key, file, BackupRepository.sha256(file));
    } finally {
      BackupRepository.deleteTree(staging);
    }
  }

  /**
   * A WAL artifact is now verified in the other region: the standby-durable position moves to its
   * end if nothing before it is missing there, and the leader publishes it.
   */
  private void advanceStandbyDurable(String key, RecoveryPoint point) {
    if (!BackupRepository.WAL.equals(point.target())
        || point.endLsn() == null
        || point.timeline() == null
        || !comparedWhileLeading
        || !leader.leader()) {
      return;
    }
    String artifact = point.region() + "/" + point.file();
    synchronized (pending) {
      for (String k : pending) {
        if (!k.startsWith("-") && k.contains("/pg/wal/") && k.compareTo(artifact) < 0) {
          return; // an earlier WAL artifact is not there yet
        }
      }
    }
    WalPosition end = new WalPosition(point.timeline(), WalPosition.parseLsn(point.endLsn()));
    WalPosition before = standbyDurable;
    if (before != null && !end.isAfter(before)) {
      return;
    }
    standbyDurable = end;
    if (etcd.enabled()) {
      etcd.put(standbyDurableKey, end.toString(), 0)
          .subscribe()
          .with(
              ok -> {},
              failure -> LOG.debugf("publishing the standby-durable WAL position: %s", failure));
    }
  }

  /**
   * Queues every recovery point of this region whose metadata the other repository lacks; whether
   * the two could be compared.
   */
  private boolean reconcile() {
    try {
      Set<String> there = new HashSet<>();
      for (ObjectStore.Entry e : copy.get().store().list(source.region() + "/")) {
        there.add(e.key());
      }
      for (ObjectStore.Entry e : source.store().list(source.region() + "/")) {
        if (e.key().endsWith(".json") && !there.contains(e.key())) {
          enqueue(e.key());
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      lastError = "listing: " + e.getMessage();
      LOG.debugf("Copy reconciliation failed: %s", e.getMessage());
      return false;
    }
  }
}
