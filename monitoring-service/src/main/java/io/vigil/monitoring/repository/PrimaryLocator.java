package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.etcd.KeyWatch;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.monitoring.config.MonitoringConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Where the write pool connects: the configured server, or, with a Patroni scope, the Patroni
 * leader read from etcd ({@code leader} names the member, its {@code members/<name>} entry holds
 * the {@code conn_url}), followed through an etcd watch and a periodic re-read. Whoever listens
 * ({@link #onChange}, the write pool) is told of every new primary.
 */
@ApplicationScoped
public class PrimaryLocator {

  private static final Logger LOG = Logger.getLogger(PrimaryLocator.class);

  private final MonitoringConfig.Primary config;
  private final EtcdGateway etcd;
  private final Vertx vertx;
  private final ObjectMapper json = new ObjectMapper();
  private volatile PgConnectOptions base;
  private volatile PgConnectOptions current;
  private volatile String leader;
  private volatile java.util.List<PgConnectOptions> replicas = java.util.List.of();
  private final java.util.List<java.util.function.Consumer<PgConnectOptions>> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final KeyWatch watch;

  PrimaryLocator(MonitoringConfig config, RegionConfig region, EtcdGateway etcd, Vertx vertx) {
    this.config = config.primary();
    this.etcd = etcd;
    this.vertx = vertx;
    // the leader key names a new primary at once; the periodic read covers a lost watch
    this.watch =
        following()
            ? new KeyWatch(
                etcd,
                "patroni-leader",
                prefix() + "leader",
                false,
                prefix(),
                this.config.refreshInterval(),
                region.etcd().callTimeout(),
                read -> locate(read.kvs()))
            : null;
  }

  /** Takes the configured connect options as the base (credentials, database, fallback host). */
  void base(PgConnectOptions options) {
    this.base = options;
    if (current == null) {
      current = options;
    }
  }

  /** Calls {@code listener} with the connect options of every new primary found. */
  void onChange(java.util.function.Consumer<PgConnectOptions> listener) {
    listeners.add(listener);
  }

  private volatile Cluster cluster = new Cluster(java.util.List.of(), Optional.empty());

  /** Connect options of the replicas Patroni lists as running (none without Patroni). */
  public java.util.List<PgConnectOptions> replicas() {
    return replicas;
  }

  /** Connect options of the primary as known now. */
  public PgConnectOptions current() {
    return current;
  }

  /** The Patroni leader's member name, when following Patroni. */
  public String leader() {
    return leader;
  }

  private boolean following() {
    return config.patroniScope().isPresent() && etcd.enabled();
  }

  private String prefix() {
    return PatroniLeader.prefix(config.patroniNamespace(), config.patroniScope().orElseThrow());
  }

  void onStart(@Observes StartupEvent event) {
    if (watch != null) {
      watch.start(vertx);
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (watch != null) {
      watch.stop();
    }
  }

  /** Patroni's members and synchronous standby as last read (empty without Patroni). */
  public record Cluster(
      java.util.List<io.vigil.commons.postgres.PatroniLeader.Member> members,
      Optional<String> synchronousStandby) {}

  /** The Patroni cluster as last read. */
  public Cluster cluster() {
    return cluster;
  }

  /** Patroni's scope followed, if any. */
  public Optional<String> scope() {
    return following() ? config.patroniScope() : Optional.empty();
  }

  private String locate(Map<String, String> kvs) {
    cluster =
        new Cluster(
            PatroniLeader.members(kvs, prefix(), json),
            PatroniLeader.synchronousStandby(kvs, prefix(), json));
    if (base != null) {
      replicas =
          PatroniLeader.replicas(kvs, prefix(), json).stream()
              .map(r -> new PgConnectOptions(base).setHost(r.host()).setPort(r.port()))
              .toList();
    }
    Optional<PatroniLeader> found = PatroniLeader.find(kvs, prefix(), json);
    if (found.isEmpty() || base == null) {
      return "no leader right now (a failover): the last one stays"; // keep the last one
    }
    PatroniLeader l = found.get();
    if (!l.member().equals(leader)
        || l.port() != current.getPort()
        || !l.host().equals(current.getHost())) {
      current = new PgConnectOptions(base).setHost(l.host()).setPort(l.port());
      LOG.infof("PostgreSQL primary is now %s (%s:%d)", l.member(), l.host(), l.port());
      leader = l.member();
      PgConnectOptions now = current;
      listeners.forEach(x -> x.accept(now));
    }
    return "the primary is " + leader;
  }
}
