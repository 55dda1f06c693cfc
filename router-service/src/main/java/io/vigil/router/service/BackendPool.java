package io.vigil.router.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.RegionTopology;
import io.vigil.router.config.RouterConfig;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The monitoring-service instances of the region, kept in step with the topology, checked with
 * {@code GET /q/health/ready} at a fixed interval (with hysteresis), and chosen for a request by
 * the power of two choices on outstanding requests among the healthy ones of the active zones.
 * Zones are UP or DOWN from their instances, DRAINING or DISABLED from the operator's admin state.
 */
@Singleton
public class BackendPool {

  private static final Logger LOG = Logger.getLogger(BackendPool.class);

  /** Admin states of a zone, as stored in etcd. */
  public static final String ACTIVE = "active";

  /** New traffic goes elsewhere; the zone still serves when no other zone can. */
  public static final String DRAINING = "draining";

  /** No traffic at all. */
  public static final String DISABLED = "disabled";

  private final TopologyCache topology;
  private final RouterConfig config;
  private final Vertx vertx;
  private final MeterRegistry metrics;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();
  private final Map<String, Zone> zones = new ConcurrentHashMap<>();
  private final long slowStartNanos;
  private volatile Map<String, String> adminStates = Map.of();
  private volatile Instant upSince;
  private volatile boolean servedOnce;
  private final io.vigil.commons.metrics.OwnedGauges gauges;
  private final ReadinessProbe probe;
  private Periodic timer;

  BackendPool(
      TopologyCache topology,
      RouterConfig config,
      Vertx vertx,
      MeterRegistry metrics,
      ReadinessProbe probe) {
    this.probe = probe;
    this.topology = topology;
    this.config = config;
    this.vertx = vertx;
    this.metrics = metrics;
    this.slowStartNanos = config.slowStart().toNanos();
    this.gauges = new io.vigil.commons.metrics.OwnedGauges(metrics);
  }

  void onStart(@Observes StartupEvent event) {
    timer = Periodic.onEventLoop(vertx, config.healthCheck().interval(), this::tick);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
    gauges.close();
  }

  /** Every backend known now. */
  public Collection<Backend> all() {
    return List.copyOf(backends.values());
  }

  /**
   * A healthy backend of an active zone outside {@code avoid} (zones first, then instances), in the
   * preferred zone while it has room, by the power of two choices on outstanding requests weighted
   * by slow start; a draining zone only when no active zone can serve; null when there is none.
   */
  public Backend choose(Set<String> avoidZones, Set<String> avoidIds) {
    return Balancer.choose(
        backends.values(),
        adminStates,
        avoidZones,
        avoidIds,
        config.preferredZone(),
        config.spillOverOutstanding(),
        slowStartNanos);
  }

  /** Whether some zone can serve: a healthy instance in an active or draining zone. */
  public boolean anyServing() {
    return otherServing(null);
  }

  /** Whether some zone has served since the router started. */
  public boolean servedOnce() {
    return servedOnce;
  }

  /** Since when some zone has been serving without a break, or null while none is. */
  public Instant servingSince() {
    return upSince;
  }

  /**
   * A try timed out on {@code b}: its readiness is probed at once, and a failed probe takes it out
   * of rotation without waiting for the regular checks (a hung instance accepts connections and
   * never answers).
   */
  public void suspect(Backend b) {
    if (!b.startProbe()) {
      return;
    }
    probe
        .probe(b)
        .onComplete(
            outcome -> {
              b.endProbe();
              if (outcome.failed()) {
                ejected(b, "no answer within the per-try timeout; " + outcome.cause().getMessage());
              }
            });
  }

  /**
   * A passive signal against {@code b} (a reset, a refused connection, a probe that failed after a
   * try timed out): out of rotation at once — unless it is the last healthy instance of the region.
   * One passive signal never takes the whole region out (on a starved machine every instance may
   * answer one probe late at the same moment, and the region would fail over for nothing); the
   * active checks, with their hysteresis, do that.
   */
  public synchronized void ejected(Backend b, String why) {
    if (b.healthy()) {
      // a standby region's router is not an instance of this region: the rule is about these
      if (backends.get(b.id()) != b || otherServing(b)) {
        b.eject(why);
        metrics.counter("vigil.router.ejections", "zone", b.zone()).increment();
      } else {
        metrics.counter("vigil.router.ejections.withheld", "zone", b.zone()).increment();
        if (b.withheld()) {
          LOG.warnf(
              "Instance %s kept in rotation as the last healthy one (%s); the active checks"
                  + " decide",
              b.id(), why);
        }
      }
    }
    zones();
  }

  /** Whether a healthy instance other than {@code b} is in an active or draining zone. */
  private boolean otherServing(Backend b) {
    Map<String, String> admin = adminStates;
    for (Backend other : backends.values()) {
      if (other != b
          && other.healthy()
          && !admin.getOrDefault(other.zone(), ACTIVE).equals(DISABLED)) {
        return true;
      }
    }
    return false;
  }

  /** Sets a zone's admin state here (the caller stores it in etcd for every replica). */
  public void setAdminState(String zone, String state) {
    Map<String, String> next = new TreeMap<>(adminStates);
    next.put(zone, state);
    adminStates = Map.copyOf(next);
    zones();
  }

  private void tick() {
    sync();
    for (Backend b : backends.values()) {
      probe.check(b);
    }
    zones();
  }

  private final ZoneTransitions transitions = new ZoneTransitions();

  /** The newest zone transitions, newest first. */
  public List<ZoneTransitions.Transition> transitions() {
    return transitions.list();
  }

  /** A zone's state and its last transition. */
  public record Zone(String name, String state, String reason, Instant since) {}

  /**
   * Zone states: DISABLED or DRAINING from the admin state, else UP while one instance is healthy
   * and DOWN otherwise; every transition is kept with its reason and time, and logged.
   */
  public synchronized Map<String, Zone> zones() {
    Map<String, List<Backend>> byZone = new TreeMap<>();
    backends.values().forEach(b -> byZone.computeIfAbsent(b.zone(), z -> new ArrayList<>()).add(b));
    Map<String, String> admin = adminStates;
    Set<String> names = new TreeSet<>(byZone.keySet());
    names.addAll(admin.keySet());
    boolean serving = false;
    for (String name : names) {
      List<Backend> members = byZone.getOrDefault(name, List.of());
      long healthy = members.stream().filter(Backend::healthy).count();
      String adminState = admin.getOrDefault(name, ACTIVE);
      String state;
      String reason;
      switch (adminState) {
        case DISABLED -> {
          state = "DISABLED";
          reason = "disabled by an operator";
        }
        case DRAINING -> {
          state = "DRAINING";
          reason = "drained by an operator; serves only when no other zone can";
          serving |= healthy > 0;
        }
        default -> {
          state = healthy > 0 ? "UP" : "DOWN";
          reason =
              healthy > 0
                  ? healthy + " of " + members.size() + " instances healthy"
                  : members.isEmpty()
                      ? "no instance registered"
                      : "no healthy instance: " + members.get(0).reason();
          serving |= healthy > 0;
        }
      }
      Zone previous = zones.get(name);
      if (previous == null) {
        gauges.gauge(
            "vigil.router.zone.up",
            io.micrometer.core.instrument.Tags.of("zone", name),
            "1 while the zone takes traffic (UP), else 0",
            () -> zones.containsKey(name) && zones.get(name).state().equals("UP") ? 1 : 0);
      }
      if (previous == null || !previous.state().equals(state)) {
        zones.put(name, new Zone(name, state, reason, Instant.now()));
        if (previous != null) {
          LOG.infof("Zone %s is %s: %s", name, state, reason);
          transitions.add(
              new ZoneTransitions.Transition(name, previous.state(), state, reason, Instant.now()));
          metrics
              .counter(
                  "vigil.router.zone.transitions",
                  "zone",
                  name,
                  "to",
                  state.toLowerCase(Locale.ROOT))
              .increment();
          boolean wasOff =
              previous.state().equals("DRAINING") || previous.state().equals("DISABLED");
          if (wasOff && (state.equals("UP") || state.equals("DOWN"))) {
            members.forEach(Backend::restartRamp);
          }
        }
      }
    }
    zones.keySet().retainAll(names);
    if (!serving) {
      upSince = null;
    } else if (upSince == null) {
      upSince = Instant.now();
      servedOnce = true;
    }
    return new TreeMap<>(zones);
  }

  /** Reads the topology in force now (instances and admin states) without waiting for a tick. */
  public void refresh() {
    sync();
    zones();
  }

  private void sync() {
    RegionTopology t = topology.topology();
    if (t == null) {
      return;
    }
    if (topology.fromEtcd()) {
      adminStates = ZoneAdmin.normalized(t.adminStates());
    }
    Set<String> seen = ConcurrentHashMap.newKeySet();
    for (RegionTopology.Registered r : t.instances()) {
      if (!r.key().service().equals(config.monitoringService())) {
        continue;
      }
      URI url = URI.create(r.record().url());
      URI check = URI.create(r.record().healthUrl());
      String id =
          r.key().zone()
              + "/"
              + r.key().instanceId()
              + "@"
              + url.getHost()
              + ":"
              + url.getPort()
              + "/"
              + check.getPort()
              + ("https".equals(url.getScheme()) ? "/tls" : "");
      seen.add(id);
      backends.computeIfAbsent(
          id,
          k -> {
            LOG.infof("Instance %s of %s joins", k, r.key().zone());
            return new Backend(k, r.key().zone(), url, check);
          });
    }
    backends.keySet().removeIf(id -> !seen.contains(id));
  }
}
