package io.vigil.router.health;

import io.vigil.commons.health.BackgroundProbe;
import io.vigil.commons.topology.RegionTopology;
import io.vigil.router.service.TopologyCache;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once a topology is loaded. Losing etcd afterwards does not make the router unready: it
 * keeps routing on the last topology, and the check says so.
 */
@Readiness
@ApplicationScoped
public class TopologyReadinessCheck implements HealthCheck {

  private final TopologyCache cache;

  TopologyReadinessCheck(TopologyCache cache) {
    this.cache = cache;
  }

  @Override
  public HealthCheckResponse call() {
    RegionTopology topology = cache.topology();
    BackgroundProbe.Outcome etcd = cache.etcdOutcome();
    return HealthCheckResponse.named("topology")
        .status(topology != null)
        .withData("instances", topology == null ? 0 : topology.instances().size())
        .withData("etcd", etcd.up() ? "UP" : "DOWN: " + etcd.detail())
        .build();
  }
}
