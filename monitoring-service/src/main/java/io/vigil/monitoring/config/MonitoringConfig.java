package io.vigil.monitoring.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Configuration of the monitoring service. */
@ConfigMapping(prefix = "vigil.monitoring")
public interface MonitoringConfig {

  /** Largest request body the API takes; larger ones get 413 and nothing is stored. */
  @WithDefault("32M")
  MemorySize maxBodySize();

  /** How readiness is computed. */
  Readiness readiness();

  /** Schema migrations. */
  Schema schema();

  /** Monitor runs. */
  Runs runs();

  /** How the write pool finds the PostgreSQL primary. */
  Primary primary();

  /** When a write is acknowledged. */
  Durability durability();

  /** How the credentials tenants configure are sealed. */
  Secrets secrets();

  /**
   * Where Vigil may send requests a tenant configures: notification receivers and scoring
   * endpoints. Checked when written and again, on a fresh resolution, before every request.
   */
  Outbound outbound();

  /** Addresses outbound requests may not go to. */
  interface Outbound {
    /**
     * Addresses refused (CIDR): link-local (with the cloud metadata endpoints), loopback, "this
     * network", multicast, and the metadata addresses outside link-local.
     */
    @WithDefault(
        "169.254.0.0/16,fe80::/10,127.0.0.0/8,::1/128,0.0.0.0/8,::/128,224.0.0.0/4,ff00::/8,"
            + "100.100.100.200/32,fd00:ec2::254/128")
    java.util.List<String> deny();

    /** Exceptions to {@code deny} (CIDR), e.g. {@code 127.0.0.1/32} for loopback receivers. */
    Optional<java.util.List<String>> allow();
  }

  /** Notifications of threshold breaches to integrated systems (webhooks, Slack). */
  Notifications notifications();

  /** The records' day partitions and the retention of records and measurements. */
  Lifecycle lifecycle();

  /**
   * Any one instance at a time (a session advisory lock) creates the day partitions of records
   * ahead, drops those whose rows have all expired, deletes the expired rows of data sets that
   * share a day with longer-kept ones, and deletes expired measurements. Retention is set per data
   * set ({@code retention_days}) and per data mart ({@code record_retention_days}, {@code
   * measurement_retention_days}); without a setting everything is kept.
   */
  interface Lifecycle {
    /** Whether this instance takes its turn. */
    @WithDefault("true")
    boolean enabled();

    /** How often partitions are made ahead and retention applied. */
    @WithDefault("10m")
    Duration interval();

    /** Days after today whose partitions exist before any record arrives. */
    @WithDefault("3")
    int daysAhead();

    /**
     * How long the answer of a store request stays readable ({@code GET
     * data_sets/{id}/requests/{id}}); one is written per store, so they are deleted after this.
     */
    @WithDefault("7d")
    Duration storeRequestsKept();

    /** Rows (or keys) one delete statement removes; a pass repeats it. */
    @WithDefault("10000")
    int batch();

    /**
     * How long the switch of records to partitions (once, after an upgrade from schema V5) may wait
     * for its locks before it gives up until the next pass, so requests never queue behind it.
     */
    @WithDefault("3s")
    Duration switchLockTimeout();
  }

  /** Scoring label-only feedback through the subscription's deployment. */
  Scoring scoring();

  /**
   * Feedback rows that carry a label but no prediction (and match no payload record) are scored by
   * a quality run through the deployment's scoring endpoint, a batch at a time; the predictions are
   * kept with the rows.
   */
  interface Scoring {
    /** Rows per scoring request. */
    @WithDefault("200")
    int batchSize();

    /** How long one scoring request may take (connect, send, answer). */
    @WithDefault("30s")
    Duration timeout();

    /** How long an endpoint's circuit breaker stays open after repeated failures. */
    @WithDefault("30s")
    Duration breakerDelay();

    /** Scoring connections one instance keeps open. */
    @WithDefault("8")
    int maxConcurrent();
  }

  /** The model metrics exported to Prometheus. */
  ModelMetrics modelMetrics();

  /**
   * The model metrics on {@code /q/metrics} are read from PostgreSQL, so every instance exports the
   * same values: rules take {@code max} over instances (README, Alerts).
   */
  interface ModelMetrics {
    /** Time between two reads of the latest measurements. */
    @WithDefault("15s")
    Duration refreshInterval();

    /**
     * At most this many model metric series (labels: service instance, subscription, monitor,
     * metric, feature); past it the newest measurements' series are left out and counted in {@code
     * vigil_model_series_dropped}.
     */
    @WithDefault("5000")
    int maxSeries();
  }

  /**
   * Notifications are written with the measurement (an outbox in PostgreSQL) and delivered by any
   * instance: claimed with a lease, retried with backoff, failed after {@code retry-for}.
   */
  interface Notifications {
    /** Whether this instance delivers notifications (all of them write them). */
    @WithDefault("true")
    boolean enabled();

    /** Time between two looks for due notifications while idle. */
    @WithDefault("500ms")
    Duration pollInterval();

    /** How long one request to a receiver may take (connect, send, answer). */
    @WithDefault("10s")
    Duration timeout();

    /** How long a notification is retried before it is marked failed. */
    @WithDefault("1h")
    Duration retryFor();

    /** Wait before the first retry; it doubles with every attempt up to {@code max-backoff}. */
    @WithDefault("2s")
    Duration initialBackoff();

    /** Longest wait between two attempts. */
    @WithDefault("5m")
    Duration maxBackoff();

    /** Requests in flight to one receiver (host and port) from one instance. */
    @WithDefault("4")
    int maxConcurrentPerReceiver();

    /** Requests in flight from one instance. */
    @WithDefault("32")
    int maxConcurrent();

    /** Where the console is, for the link in every notification; without it the link is a path. */
    Optional<String> consoleUrl();
  }

  /**
   * Credentials (service providers, database configurations, scoring endpoints, training data
   * connections) are stored sealed with AES-256-GCM and answered only as {@code {"secret_id"}}.
   */
  interface Secrets {
    /**
     * The keys, {@code id:base64} (32 random bytes each), the first one sealing new credentials;
     * keep an old key listed after a rotation while credentials sealed with it remain. Without a
     * key, a request carrying credentials is refused.
     */
    Optional<java.util.List<String>> keys();
  }

  /**
   * By default a write is acknowledged once PostgreSQL committed it (on the primary and, with
   * Patroni's synchronous mode, a standby of another zone): it survives the loss of a zone. With
   * {@code standby-region}, only once its WAL is also verified in the other region's backup
   * repository (the backup leader publishes how far, {@code
   * /vigil/backups/{region}/standby-durable/postgres}): it survives the loss of the whole region,
   * and a write waits about the WAL shipping interval longer.
   */
  interface Durability {
    /** Whether writes wait until their WAL is in the other region's repository. */
    @WithDefault("false")
    boolean standbyRegion();

    /**
     * How long a write waits for that; then it is answered 503 with Retry-After (committed here,
     * not yet safe there: a retry of the same request stores nothing twice and waits again).
     */
    @WithDefault("20s")
    Duration timeout();

    /** The region whose backups are waited for; by default this instance's region. */
    Optional<String> backupRegion();
  }

  /**
   * The primary: by default the host and port of {@code quarkus.datasource.reactive.url} (a
   * Kubernetes {@code -rw} Service, or a single server); with a Patroni scope, the leader that
   * Patroni records in etcd, followed as it changes.
   */
  interface Primary {
    /** Patroni's scope (cluster name); its keys are {@code <namespace><scope>/leader|members}. */
    Optional<String> patroniScope();

    /** Patroni's etcd namespace. */
    @WithDefault("/service/")
    String patroniNamespace();

    /** Time between two reads of the leader besides the etcd watch. */
    @WithDefault("5s")
    Duration refreshInterval();
  }

  /** Monitor run settings: runs are jobs in PostgreSQL that any instance may claim. */
  interface Runs {
    /** Whether this instance claims and computes runs. */
    @WithDefault("true")
    boolean enabled();

    /** Time between two looks for a queued run while idle. */
    @WithDefault("500ms")
    Duration pollInterval();

    /** Time between two heartbeats of a run being computed. */
    @WithDefault("2s")
    Duration heartbeatInterval();

    /** A running run whose heartbeat is older than this is claimed again (its instance died). */
    @WithDefault("10s")
    Duration staleAfter();

    /** Time between two checks for scheduled monitor instances that are due. */
    @WithDefault("5s")
    Duration scheduleInterval();

    /** Claims of one run before it ends in error. */
    @WithDefault("3")
    int maxAttempts();
  }

  /** Readiness probe settings. */
  interface Readiness {
    /** Time between two checks of the PostgreSQL primary behind the write pool. */
    @WithDefault("500ms")
    Duration interval();

    /** How long one check may take before the primary counts as unreachable. */
    @WithDefault("1s")
    Duration timeout();
  }

  /** Schema migration settings. */
  interface Schema {
    /** Time between two attempts to migrate while the database does not answer. */
    @WithDefault("2s")
    Duration retryInterval();
  }
}
