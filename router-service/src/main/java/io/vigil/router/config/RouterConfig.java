package io.vigil.router.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration of the zone router. */
@ConfigMapping(prefix = "vigil.router")
public interface RouterConfig {

  /**
   * Instances to route to when etcd is not used, as {@code zone=url} entries, e.g. {@code
   * zone-a=http://127.0.0.1:8081}.
   */
  Optional<List<String>> staticInstances();

  /** Service the router fronts for the monitoring API. */
  @WithDefault("monitoring-service")
  String monitoringService();

  /** Time between two reads of the region's topology from etcd. */
  @WithDefault("1s")
  Duration topologyRefresh();

  /** Active health checks of the instances. */
  HealthCheck healthCheck();

  /** Active health check settings: {@code GET /q/health/ready} on every instance. */
  interface HealthCheck {
    /** Time between two checks of an instance. */
    @WithDefault("250ms")
    Duration interval();

    /** How long a check may take. */
    @WithDefault("200ms")
    Duration timeout();

    /** Consecutive failures that take an instance out of rotation. */
    @WithDefault("2")
    int fall();

    /** Consecutive successes that bring it back. */
    @WithDefault("2")
    int rise();
  }

  /** Connection attempts of one request, each on another instance (another zone first). */
  @WithDefault("3")
  int connectAttempts();
}
