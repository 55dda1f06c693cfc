package io.vigil.router.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vigil.commons.schedule.Periodic;
import io.vigil.router.config.RouterConfig;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Region failover: when no zone of this region can serve and a router of the standby region is
 * ready, traffic goes to the standby region; it comes back only after this region has served
 * without a break for the fail-back hold time. The standby routers are health-checked like the
 * instances.
 */
@Singleton
public class RegionFailover {

  private static final Logger LOG = Logger.getLogger(RegionFailover.class);

  private final BackendPool pool;
  private final ReadinessProbe probe;
  private final RouterConfig config;
  private final Vertx vertx;
  private final MeterRegistry metrics;
  private final List<Backend> routers = new ArrayList<>();
  private volatile boolean onStandby;
  private volatile String reason = "primary region serving";
  private volatile Instant since = Instant.now();
  private final Instant started = Instant.now();
  private Periodic timer;

  RegionFailover(
      BackendPool pool,
      ReadinessProbe probe,
      RouterConfig config,
      Vertx vertx,
      MeterRegistry metrics) {
    this.pool = pool;
    this.probe = probe;
    this.config = config;
    this.vertx = vertx;
    this.metrics = metrics;
    // registered at once so that dashboards and alerts see 0 rather than nothing
    metrics.counter("vigil.router.failovers", "to", "standby");
    metrics.counter("vigil.router.failovers", "to", "primary");
    for (String entry : config.standby().routers().orElse(List.of())) {
      Endpoint e = Endpoint.parse(entry, "vigil.router.standby.routers");
      routers.add(
          new Backend(
              "standby@" + e.url().getHost() + ":" + e.url().getPort(),
              "standby",
              e.url(),
              e.check()));
    }
  }

  void onStart(@Observes StartupEvent event) {
    if (!routers.isEmpty()) {
      timer = Periodic.onEventLoop(vertx, config.healthCheck().interval(), this::tick);
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
  }

  private void tick() {
    for (Backend b : routers) {
      probe.check(b);
    }
    evaluate();
  }

  /**
   * Whether requests go to the standby region now; re-evaluated on the spot, so the first request
   * that finds no zone of this region serving fails over without waiting for a tick.
   */
  public boolean onStandby() {
    if (!onStandby && !routers.isEmpty() && !pool.anyServing()) {
      evaluate();
    }
    return onStandby;
  }

  private synchronized void evaluate() {
    boolean standbyReady = routers.stream().anyMatch(Backend::healthy);
    Duration hold = config.standby().failbackHold();
    if (!onStandby) {
      // a router that has not yet seen its region serve gives it the hold time to come up
      boolean known = pool.servedOnce() || !started.plus(hold).isAfter(Instant.now());
      if (standbyReady && known && !pool.anyServing()) {
        switchTo(true, "no zone of this region can serve");
      }
      return;
    }
    Instant serving = pool.servingSince();
    if (serving != null && !serving.plus(hold).isAfter(Instant.now())) {
      switchTo(false, "this region has served for " + hold.toSeconds() + " s");
    }
  }

  private void switchTo(boolean standby, String why) {
    onStandby = standby;
    reason = why;
    since = Instant.now();
    metrics.counter("vigil.router.failovers", "to", standby ? "standby" : "primary").increment();
    LOG.warnf(
        "Region failover: traffic goes to the %s region (%s)",
        standby ? "standby" : "primary", why);
  }

  /** A ready standby router outside {@code avoidIds}, or null. */
  public Backend choose(Set<String> avoidIds) {
    List<Backend> ready = new ArrayList<>();
    for (Backend b : routers) {
      if (b.healthy() && !avoidIds.contains(b.id())) {
        ready.add(b);
      }
    }
    return ready.isEmpty() ? null : Balancer.twoChoices(ready, System.nanoTime(), 0);
  }

  /** The standby routers. */
  public List<Backend> routers() {
    return List.copyOf(routers);
  }

  /** Why traffic goes where it goes. */
  public String reason() {
    return reason;
  }

  /** Since when. */
  public Instant since() {
    return since;
  }
}
