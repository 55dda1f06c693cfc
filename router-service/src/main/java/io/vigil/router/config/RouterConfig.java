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
   * zone-a=http://127.0.0.1:8081}, or {@code zone=url|management-url} when their readiness is
   * answered on a management interface, e.g. {@code
   * zone-a=http://127.0.0.1:8081|http://127.0.0.1:9081}.
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

  /** Warm-up of the forwarding path before the router reports ready. */
  Warmup warmup();

  /**
   * Requests sent through the router's own port to a loopback target of its own at start, so a
   * fresh JVM has compiled the forwarding path before it takes traffic (a native image needs none).
   */
  interface Warmup {
    /**
     * How long the warm-up runs (the router reports ready after it); 0 turns it off, for the
     * fastest possible time to ready at the cost of a slower first few seconds of traffic.
     */
    @WithDefault("5s")
    Duration duration();

    /** Requests in flight at once during the warm-up. */
    @WithDefault("16")
    int connections();
  }

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

  /**
   * Largest request body the router accepts (larger ones get 413 from the router); the same as the
   * monitoring-service's {@code vigil.monitoring.max-body-size} by default, so an upload over it is
   * refused here rather than cut short by an instance.
   */
  @WithDefault("32M")
  io.quarkus.runtime.configuration.MemorySize maxBodySize();

  /**
   * Zone that gets the traffic while it is UP and not overloaded (its least busy instance has fewer
   * than {@link #spillOverOutstanding()} requests in flight); the other zones take the rest.
   */
  Optional<String> preferredZone();

  /** Requests in flight on the preferred zone's least busy instance above which traffic spills. */
  @WithDefault("32")
  int spillOverOutstanding();

  /**
   * Time over which an instance that comes back (health restored, zone activated) ramps from a
   * tenth of its share of new requests to all of it.
   */
  @WithDefault("5s")
  Duration slowStart();

  /** Retries of one request. */
  Retry retry();

  /** When and how often a request is tried again on another instance. */
  interface Retry {
    /** Tries of one request in all, the first included, each on another instance. */
    @WithDefault("3")
    int attempts();

    /**
     * Retries allowed as a share of the requests of the last {@link #budgetWindow()}: a retry storm
     * stops there.
     */
    @WithDefault("0.2")
    double budgetRatio();

    /** Retries always allowed per second, whatever the traffic. */
    @WithDefault("10")
    int budgetMinPerSecond();

    /** Window over which the retry budget counts requests. */
    @WithDefault("10s")
    Duration budgetWindow();

    /**
     * Bodies up to this size of retry-safe requests are buffered so they can be sent again; larger
     * ones are streamed and not replayed once sent.
     */
    @WithDefault("4M")
    io.quarkus.runtime.configuration.MemorySize maxReplayBody();

    /**
     * Time a retry-safe request may wait for its first answer before it is tried again elsewhere:
     * the recent 99th percentile latency times {@link #perTryTimeoutMultiplier()}, kept between
     * {@link #perTryTimeoutMin()} and {@link #perTryTimeoutMax()}. The last try gets the rest of
     * the deadline.
     */
    @WithDefault("100ms")
    Duration perTryTimeoutMin();

    /** Upper bound of the per-try timeout. */
    @WithDefault("5s")
    Duration perTryTimeoutMax();

    /** Multiple of the recent p99 latency that makes the per-try timeout. */
    @WithDefault("4")
    double perTryTimeoutMultiplier();

    /** Time a request may take in all, retries included. */
    @WithDefault("60s")
    Duration deadline();
  }

  /** TLS towards instances and standby routers reached at {@code https} URLs. */
  Tls tls();

  /** TLS towards instances. */
  interface Tls {
    /**
     * Whether an instance's certificate must name the host it is reached at (on by default; off
     * only with a private authority trusted for nothing else, when certificates cannot name pod
     * addresses).
     */
    @WithDefault("true")
    boolean verifyHost();
  }

  /** The standby region the router fails over to when no zone of its own region is UP. */
  Standby standby();

  /** Region failover settings. */
  interface Standby {
    /**
     * The standby region's routers, {@code url[|management-url]} as in {@link #staticInstances}
     * (their readiness is checked on the management URL), e.g. {@code
     * http://127.0.0.1:8080|http://127.0.0.1:9080}; none = no failover.
     */
    Optional<List<String>> routers();

    /** Time the primary region must stay UP before traffic goes back to it. */
    @WithDefault("30s")
    Duration failbackHold();
  }
}
