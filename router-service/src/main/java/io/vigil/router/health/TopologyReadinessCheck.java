package io.vigil.router.health;

import io.vertx.core.Vertx;
import io.vigil.commons.health.BackgroundProbe;
import io.vigil.commons.topology.RegionTopology;
import io.vigil.router.proxy.Warmup;
import io.vigil.router.service.TopologyCache;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once a topology is loaded and the forwarding path is warm ({@link Warmup}). Losing etcd
 * afterwards does not make the router unready: it keeps routing on the last topology, and the check
 * says so.
 */
@Readiness
@ApplicationScoped
public class TopologyReadinessCheck implements HealthCheck {

  private final TopologyCache cache;
  private final Warmup warmup;
  private final String transport;

  TopologyReadinessCheck(TopologyCache cache, Warmup warmup, Vertx vertx) {
    this.cache = cache;
    this.warmup = warmup;
    // Netty's native epoll where it loads (quarkus.vertx.prefer-native-transport), else JDK NIO
    this.transport = vertx.isNativeTransportEnabled() ? "epoll" : "nio";
  }

  @Override
  public HealthCheckResponse call() {
    RegionTopology topology = cache.topology();
    BackgroundProbe.Outcome etcd = cache.etcdOutcome();
    return HealthCheckResponse.named("topology")
        .status(topology != null && warmup.done())
        .withData("instances", topology == null ? 0 : topology.instances().size())
        .withData("etcd", etcd.up() ? "UP" : "DOWN: " + etcd.detail())
        .withData("transport", transport)
        .withData("warm-up", warmup.done() ? warmup.outcome() : "running")
        .build();
  }
}
