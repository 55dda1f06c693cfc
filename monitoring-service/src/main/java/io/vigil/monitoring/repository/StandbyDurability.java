package io.vigil.monitoring.repository;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.etcd.KeyWatch;
import io.vigil.commons.postgres.WalPosition;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import io.vigil.monitoring.config.MonitoringConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jboss.logging.Logger;

/**
 * Acknowledges a write only once it would survive the loss of the region ({@code
 * vigil.monitoring.durability.standby-region}): after the commit, the primary's flushed WAL
 * position is read, and the answer waits until the backup leader reports that position verified in
 * the other region's repository ({@link TopologyKeys#standbyDurable}, followed through a {@link
 * KeyWatch}: a watch and a re-read every second). A restore of the region from that repository then
 * holds the write.
 */
@ApplicationScoped
public class StandbyDurability {

  private static final Logger LOG = Logger.getLogger(StandbyDurability.class);

  private record Waiter(WalPosition wanted, long deadline, UniEmitter<? super Void> emitter) {}

  private final MonitoringConfig.Durability config;
  private final EtcdGateway etcd;
  private final Vertx vertx;
  private final Pool pool;
  private final String key;
  private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
  private volatile WalPosition durable;
  private final KeyWatch watch;
  private Periodic timer;

  StandbyDurability(
      MonitoringConfig config, RegionConfig region, EtcdGateway etcd, Vertx vertx, Pool pool) {
    this.config = config.durability();
    this.etcd = etcd;
    this.vertx = vertx;
    this.pool = pool;
    this.key = TopologyKeys.standbyDurable(this.config.backupRegion().orElse(region.name()));
    this.watch =
        new KeyWatch(
            etcd,
            "standby-durable",
            key,
            false,
            key,
            Duration.ofSeconds(1),
            region.etcd().callTimeout(),
            read -> {
              String value = read.kvs().get(key);
              if (value != null) {
                // on the event loop: the answers of the writes it releases go on from there
                vertx.runOnContext(v -> update(value));
              }
              return key + " = " + value;
            });
  }

  /** Whether writes wait for the other region. */
  public boolean enabled() {
    return config.standbyRegion();
  }

  /** The WAL position last reported safe in the other region. */
  public Optional<WalPosition> durable() {
    return Optional.ofNullable(durable);
  }

  void onStart(@Observes StartupEvent event) {
    if (!enabled()) {
      return;
    }
    if (!etcd.enabled()) {
      throw new IllegalStateException(
          "vigil.monitoring.durability.standby-region needs etcd (vigil.region.etcd.endpoints)");
    }
    watch.start(vertx);
    // waiters whose time is up fail even when nothing changes in etcd
    timer = Periodic.onEventLoop(vertx, Duration.ofMillis(200), this::settle);
  }

  void onStop(@Observes ShutdownEvent event) {
    watch.stop();
    if (timer != null) {
      timer.stop();
    }
    for (Waiter w; (w = waiters.poll()) != null; ) {
      w.emitter().fail(unavailable("the service is stopping"));
    }
  }

  /**
   * Completes once everything this primary has flushed — the caller's committed write with it — is
   * safe in the other region; fails with 503 when that does not happen within the timeout, or when
   * the primary's timeline is not the one the other region holds (a failover: the retry waits on
   * the new timeline).
   */
  public Uni<Void> awaitCommitted() {
    return pool.query(WalPosition.FLUSHED_QUERY)
        .execute()
        .map(
            rows -> {
              var row = rows.iterator().next();
              return WalPosition.of(row.getString(0), row.getString(1));
            })
        .chain(this::await);
  }

  /** Completes once {@code wanted} is safe in the other region (see {@link #awaitCommitted}). */
  public Uni<Void> await(WalPosition wanted) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              Waiter w =
                  new Waiter(wanted, System.nanoTime() + config.timeout().toNanos(), emitter);
              if (!settle(w)) {
                waiters.add(w);
                settle(); // an update may have come in between
              }
            });
  }

  private void update(String value) {
    try {
      WalPosition p = WalPosition.parse(value);
      WalPosition before = durable;
      if (before == null || p.isAfter(before)) {
        durable = p;
      }
    } catch (RuntimeException e) {
      LOG.warnf("ignoring %s = %s: %s", key, value, e.getMessage());
      return;
    }
    settle();
  }

  private void settle() {
    for (Iterator<Waiter> i = waiters.iterator(); i.hasNext(); ) {
      Waiter w = i.next();
      if (settle(w)) {
        i.remove();
      }
    }
  }

  /** Completes or fails a waiter whose outcome is known; whether it was. */
  private boolean settle(Waiter w) {
    WalPosition now = durable;
    if (now != null && now.covers(w.wanted())) {
      w.emitter().complete(null);
      return true;
    }
    if (now != null && now.timeline() > w.wanted().timeline()) {
      w.emitter()
          .fail(
              unavailable(
                  "the PostgreSQL primary changed before this write reached the standby region;"
                      + " retry it"));
      return true;
    }
    if (System.nanoTime() - w.deadline() > 0) {
      w.emitter()
          .fail(
              unavailable(
                  "committed, but not yet in the standby region's backups within "
                      + config.timeout().toSeconds()
                      + " s; retry (a retried write is stored once)"));
      return true;
    }
    return false;
  }

  private static ApiException unavailable(String message) {
    return new ApiException(503, "not_durable_yet", message);
  }
}
