package io.vigil.commons.topology;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Where this instance runs and how it finds the region's etcd; shared by every Vigil service. */
@ConfigMapping(prefix = "vigil.region")
public interface RegionConfig {

  /** Name of the region this instance belongs to. */
  @WithDefault("us-south")
  String name();

  /** Availability zone this instance runs in. */
  @WithDefault("zone-a")
  String zone();

  /**
   * Identifier of this instance, unique in its zone; a random one is chosen at start when unset.
   */
  Optional<String> instanceId();

  /**
   * URL other processes use to reach this instance (written to etcd). Defaults to {@code
   * http://127.0.0.1:<http port>}.
   */
  Optional<String> advertisedUrl();

  /**
   * URL where routers check this instance's readiness: its management interface (written to etcd).
   * Defaults to {@code http://127.0.0.1:<management port>}.
   */
  Optional<String> advertisedManagementUrl();

  /** The etcd registry. */
  Etcd etcd();

  /** etcd connection and registration settings. */
  interface Etcd {
    /**
     * etcd client endpoints such as {@code http://127.0.0.1:2379}. When empty the instance runs
     * without etcd: it does not register and peers come from static configuration.
     */
    Optional<List<String>> endpoints();

    /**
     * The etcd user this service authenticates as (etcd's authentication is on in every Vigil
     * region: an anonymous client is refused). Unset: anonymous, for an etcd without
     * authentication.
     */
    Optional<String> user();

    /** The etcd user's password (from a 0600 configuration file or a Kubernetes Secret). */
    Optional<String> password();

    /** Time to live of the registration lease; the key disappears this long after a crash. */
    @WithDefault("5s")
    Duration leaseTtl();

    /** Timeout of a single etcd call. */
    @WithDefault("2s")
    Duration callTimeout();
  }
}
