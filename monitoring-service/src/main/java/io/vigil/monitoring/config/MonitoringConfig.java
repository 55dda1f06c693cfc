package io.vigil.monitoring.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Configuration of the monitoring service. */
@ConfigMapping(prefix = "vigil.monitoring")
public interface MonitoringConfig {

  /** How readiness is computed. */
  Readiness readiness();

  /** Readiness probe settings. */
  interface Readiness {
    /** Time between two checks of the PostgreSQL primary behind the write pool. */
    @WithDefault("500ms")
    Duration interval();

    /** How long one check may take before the primary counts as unreachable. */
    @WithDefault("1s")
    Duration timeout();
  }
}
