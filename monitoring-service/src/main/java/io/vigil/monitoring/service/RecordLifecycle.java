package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.InstanceRecord;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.health.SchemaMigrator;
import io.vigil.monitoring.repository.RecordPartitions;
import io.vigil.monitoring.repository.RecordsSwitch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The lifecycle of records and measurements, taken by any one instance at a time (a session-level
 * advisory lock: an instance that dies mid-pass releases it with its connection, and the next pass
 * of another finishes the work). A pass:
 *
 * <ol>
 *   <li>switches {@code records} to day partitions after an upgrade from schema V5, once every
 *       instance of the region can store into them ({@link RecordsSwitch});
 *   <li>creates the partitions of yesterday to {@code days-ahead} days after today;
 *   <li>finishes a drop an instance left half done;
 *   <li>applies retention ({@link Retention}) to records, measurements and store requests.
 * </ol>
 *
 * Every deletion touches expired rows only, so a pass cut short at any point loses nothing that is
 * to be kept.
 */
@ApplicationScoped
public class RecordLifecycle {

  private static final Logger LOG = Logger.getLogger(RecordLifecycle.class);
  private static final long LOCK = 7301970;

  /** What a pass did; {@code ran} is false when another instance held the turn. */
  public record Pass(
      boolean ran, int partitionsDropped, long recordsDeleted, long measurementsDeleted) {}

  private final Pool pool;
  private final Vertx vertx;
  private final MonitoringConfig.Lifecycle config;
  private final RecordPartitions partitions;
  private final RecordsSwitch recordsSwitch;
  private final Retention retention;
  private final SchemaMigrator schema;
  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final ObjectMapper json;
  private static final Duration CHECK = Duration.ofSeconds(2);
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile long nextAt = System.nanoTime();
  private Periodic timer;
  private final io.micrometer.core.instrument.Counter dropped;
  private final io.micrometer.core.instrument.Counter deletedRecords;
  private final io.micrometer.core.instrument.Counter deletedMeasurements;
  private final io.micrometer.core.instrument.Counter passes;
  private final io.micrometer.core.instrument.Counter failures;
  private final AtomicLong lastPass = new AtomicLong();

  RecordLifecycle(
      Pool pool,
      Vertx vertx,
      MonitoringConfig config,
      RecordPartitions partitions,
      RecordsSwitch recordsSwitch,
      Retention retention,
      SchemaMigrator schema,
      EtcdGateway etcd,
      RegionConfig region,
      ObjectMapper json,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.pool = pool;
    this.vertx = vertx;
    this.config = config.lifecycle();
    this.partitions = partitions;
    this.recordsSwitch = recordsSwitch;
    this.retention = retention;
    this.schema = schema;
    this.etcd = etcd;
    this.region = region;
    this.json = json;
    this.dropped = registry.counter("vigil_retention_deleted_total", "what", "day_partitions");
    this.deletedRecords = registry.counter("vigil_retention_deleted_total", "what", "records");
    this.deletedMeasurements =
        registry.counter("vigil_retention_deleted_total", "what", "measurements");
    this.failures = registry.counter("vigil_lifecycle_passes_total", "outcome", "failed");
    this.passes = registry.counter("vigil_lifecycle_passes_total", "outcome", "done");
    registry.gauge("vigil_lifecycle_last_pass_timestamp_seconds", lastPass, AtomicLong::get);
  }

  /** The first pass comes once the schema is in place; the next ones every interval. */
  void onStart(@Observes StartupEvent event) {
    if (config.enabled()) {
      Duration check = config.interval().compareTo(CHECK) < 0 ? config.interval() : CHECK;
      timer = Periodic.onEventLoop(vertx, check, this::tick);
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
  }

  private void tick() {
    if (!schema.migrated() || System.nanoTime() - nextAt < 0 || !busy.compareAndSet(false, true)) {
      return;
    }
    nextAt = System.nanoTime() + config.interval().toNanos();
    pass()
        .subscribe()
        .with(
            p -> {
              busy.set(false);
              if (p.ran()) {
                passes.increment();
                lastPass.set(System.currentTimeMillis() / 1000);
                dropped.increment(p.partitionsDropped());
                deletedRecords.increment(p.recordsDeleted());
                deletedMeasurements.increment(p.measurementsDeleted());
              }
              if (p.partitionsDropped() + p.recordsDeleted() + p.measurementsDeleted() > 0) {
                LOG.infof(
                    "Retention: %d day partitions dropped, %d records and %d measurements deleted",
                    p.partitionsDropped(), p.recordsDeleted(), p.measurementsDeleted());
              }
            },
            failure -> {
              busy.set(false);
              failures.increment();
              LOG.warnf(
                  "The records' lifecycle pass failed, next one in %s: %s",
                  config.interval(), failure.toString());
            });
  }

  /** One pass, when no other instance is taking one. */
  public Uni<Pass> pass() {
    return pool.withConnection(
        c ->
            c.query("SELECT pg_try_advisory_lock(" + LOCK + ")")
                .execute()
                .chain(
                    locked -> {
                      if (!locked.iterator().next().getBoolean(0)) {
                        return Uni.createFrom().item(new Pass(false, 0, 0, 0));
                      }
                      return work(c)
                          .eventually(
                              () -> c.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute());
                    }));
  }

  private Uni<Pass> work(SqlClient c) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    return switchIfReady(c)
        .chain(
            partitioned -> {
              if (!partitioned) {
                return retention.measurements(c, today).map(m -> new Pass(true, 0, 0, m));
              }
              List<LocalDate> ahead = new ArrayList<>();
              for (LocalDate d = today.minusDays(1);
                  !d.isAfter(today.plusDays(config.daysAhead()));
                  d = d.plusDays(1)) {
                ahead.add(d);
              }
              return partitions
                  .create(ahead)
                  .chain(() -> partitions.leftovers(c, config.batch()))
                  .chain(() -> retention.records(c, today))
                  .chain(
                      done ->
                          retention
                              .measurements(c, today)
                              .map(m -> new Pass(true, done.dropped(), done.deleted(), m)));
            });
  }

  /** Switches records to partitions when it is not yet and every instance can store into them. */
  private Uni<Boolean> switchIfReady(SqlClient c) {
    return recordsSwitch
        .done(c)
        .chain(
            done -> {
              if (done) {
                return Uni.createFrom().item(true);
              }
              return everyInstanceKnowsKeys()
                  .chain(
                      ready -> {
                        if (!ready) {
                          LOG.info(
                              "records stays unpartitioned while an older monitoring-service"
                                  + " instance is registered");
                          return Uni.createFrom().item(false);
                        }
                        return recordsSwitch
                            .run(c, config.batch(), config.switchLockTimeout())
                            .invoke(partitions::forget)
                            .replaceWith(true);
                      });
            });
  }

  /**
   * Whether every monitoring-service instance registered in the region lists {@code record-keys}:
   * an older one stores with a statement the partitioned table refuses.
   */
  private Uni<Boolean> everyInstanceKnowsKeys() {
    if (!etcd.enabled()) {
      return Uni.createFrom().item(true);
    }
    return etcd.getPrefix(TopologyKeys.zonesPrefix(region.name()))
        .map(
            kvs -> {
              for (Map.Entry<String, String> kv : kvs.entrySet()) {
                TopologyKeys.InstanceKey key =
                    TopologyKeys.parseInstance(region.name(), kv.getKey());
                if (key == null || !key.service().equals("monitoring-service")) {
                  continue;
                }
                try {
                  if (!json.readValue(kv.getValue(), InstanceRecord.class).can("record-keys")) {
                    return false;
                  }
                } catch (Exception e) {
                  return false;
                }
              }
              return true;
            });
  }
}
