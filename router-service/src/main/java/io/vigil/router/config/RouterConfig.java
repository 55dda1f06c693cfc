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
}
