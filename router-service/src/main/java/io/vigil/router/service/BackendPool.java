package io.vigil.router.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vigil.router.config.RouterConfig;
import io.vigil.topology.RegionTopology;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * The monitoring-service instances of the region, kept in step with the topology, checked with
 * {@code GET /q/health/ready} at a fixed interval (with hysteresis), and chosen for a request by
 * the power of two choices on outstanding requests among the healthy ones.
 */
@ApplicationScoped
public class BackendPool {

  private static final Logger LOG = Logger.getLogger(BackendPool.class);

  private final TopologyCache topology;
  private final RouterConfig config;
  private final Vertx vertx;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();
  private HttpClient checks;
  private long timer = -1;

  BackendPool(TopologyCache topology, RouterConfig config, Vertx vertx) {
    this.topology = topology;
    this.config = config;
    this.vertx = vertx;
  }

  void onStart(@Observes StartupEvent event) {
    checks =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) config.healthCheck().timeout().toMillis())
                .setKeepAlive(true));
    timer = vertx.setPeriodic(config.healthCheck().interval().toMillis(), id -> tick());
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Every backend known now. */
  public Collection<Backend> all() {
    return List.copyOf(backends.values());
  }

  /**
   * A healthy backend outside {@code avoid} (zones first, then instances), by the power of two
   * choices on outstanding requests; null when there is none.
   */
  public Backend choose(Set<String> avoidZones, Set<String> avoidIds) {
    List<Backend> candidates = new ArrayList<>();
    for (Backend b : backends.values()) {
      if (b.healthy() && !avoidZones.contains(b.zone()) && !avoidIds.contains(b.id())) {
        candidates.add(b);
      }
    }
    if (candidates.isEmpty() && !avoidZones.isEmpty()) {
      return choose(Set.of(), avoidIds);
    }
    if (candidates.isEmpty()) {
      return null;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Backend a = candidates.get(random.nextInt(candidates.size()));
    Backend b = candidates.get(random.nextInt(candidates.size()));
    return a.outstanding() <= b.outstanding() ? a : b;
  }

  private void tick() {
    sync();
    for (Backend b : backends.values()) {
      check(b);
    }
    zones();
  }

  /** A zone's state and its last transition. */
  public record Zone(String name, String state, String reason, java.time.Instant since) {}

  private final Map<String, Zone> zones = new ConcurrentHashMap<>();

  /**
   * Zone states from their instances: UP while one is healthy, DOWN otherwise; every transition is
   * kept with its reason and time, and logged.
   */
  public Map<String, Zone> zones() {
    Map<String, List<Backend>> byZone = new java.util.TreeMap<>();
    backends.values().forEach(b -> byZone.computeIfAbsent(b.zone(), z -> new ArrayList<>()).add(b));
    for (Map.Entry<String, List<Backend>> e : byZone.entrySet()) {
      long healthy = e.getValue().stream().filter(Backend::healthy).count();
      String state = healthy > 0 ? "UP" : "DOWN";
      Zone previous = zones.get(e.getKey());
      if (previous == null || !previous.state().equals(state)) {
        String reason =
            healthy > 0
                ? healthy + " of " + e.getValue().size() + " instances healthy"
                : "no healthy instance: " + e.getValue().get(0).reason();
        zones.put(e.getKey(), new Zone(e.getKey(), state, reason, java.time.Instant.now()));
        if (previous != null) {
          LOG.infof("Zone %s is %s: %s", e.getKey(), state, reason);
        }
      }
    }
    zones.keySet().retainAll(byZone.keySet());
    return new java.util.TreeMap<>(zones);
  }

  private void sync() {
    RegionTopology t = topology.topology();
    if (t == null) {
      return;
    }
    Set<String> seen = ConcurrentHashMap.newKeySet();
    for (RegionTopology.Registered r : t.instances()) {
      if (!r.key().service().equals(config.monitoringService())) {
        continue;
      }
      URI url = URI.create(r.record().url());
      String id =
          r.key().zone() + "/" + r.key().instanceId() + "@" + url.getHost() + ":" + url.getPort();
      seen.add(id);
      backends.computeIfAbsent(
          id,
          k -> {
            LOG.infof("Instance %s of %s joins", k, r.key().zone());
            return new Backend(k, r.key().zone(), url.getHost(), url.getPort());
          });
    }
    backends.keySet().removeIf(id -> !seen.contains(id));
  }

  private void check(Backend b) {
    checks
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(b.host())
                .setPort(b.port())
                .setURI("/q/health/ready")
                .setIdleTimeout(config.healthCheck().timeout().toMillis()))
        .compose(req -> req.send())
        .onSuccess(
            response -> {
              response.body();
              if (response.statusCode() == 200) {
                b.checkPassed(config.healthCheck().rise());
              } else {
                b.checkFailed(
                    config.healthCheck().fall(), "readiness answered " + response.statusCode());
              }
            })
        .onFailure(
            f ->
                b.checkFailed(
                    config.healthCheck().fall(), "health check failed: " + f.getMessage()));
  }
}
