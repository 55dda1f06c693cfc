package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.topology.EtcdGateway;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Where the write pool connects: the configured server, or, with a Patroni scope, the Patroni
 * leader read from etcd ({@code leader} names the member, its {@code members/<name>} entry holds
 * the {@code conn_url}), followed through an etcd watch and a periodic re-read. New connections go
 * to the leader of the moment; connections to a lost primary fail and are replaced.
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
  private Watch.Watcher watcher;
  private long timer = -1;

  PrimaryLocator(MonitoringConfig config, EtcdGateway etcd, Vertx vertx) {
    this.config = config.primary();
    this.etcd = etcd;
    this.vertx = vertx;
  }

  /** Takes the configured connect options as the base (credentials, database, fallback host). */
  void base(PgConnectOptions options) {
    this.base = options;
    if (current == null) {
      current = options;
    }
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
    return config.patroniNamespace() + config.patroniScope().orElseThrow() + "/";
  }

  void onStart(@Observes StartupEvent event) {
    if (!following()) {
      return;
    }
    refresh();
    watcher =
        etcd.client()
            .getWatchClient()
            .watch(
                ByteSequence.from(prefix() + "leader", StandardCharsets.UTF_8),
                WatchOption.DEFAULT,
                response -> vertx.runOnContext(v -> refresh()),
                error ->
                    LOG.warnf("etcd watch of the Patroni leader failed: %s", error.toString()));
    timer = vertx.setPeriodic(config.refreshInterval().toMillis(), id -> refresh());
  }

  void onStop(@Observes ShutdownEvent event) {
    if (watcher != null) {
      watcher.close();
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void refresh() {
    etcd.getPrefix(prefix())
        .onItem()
        .transformToUni(kvs -> Uni.createFrom().item(locate(kvs)))
        .subscribe()
        .with(
            ignored -> {},
            failure -> LOG.debugf("Could not read the Patroni leader: %s", failure.toString()));
  }

  private Void locate(Map<String, String> kvs) {
    String name = kvs.get(prefix() + "leader");
    if (name == null) {
      return null; // no leader right now (failover in progress): keep the last one
    }
    String member = kvs.get(prefix() + "members/" + name.trim());
    if (member == null || base == null) {
      return null;
    }
    try {
      URI url = URI.create(json.readTree(member).path("conn_url").asText());
      if (!name.equals(leader)
          || url.getPort() != current.getPort()
          || !url.getHost().equals(current.getHost())) {
        current = new PgConnectOptions(base).setHost(url.getHost()).setPort(url.getPort());
        LOG.infof("PostgreSQL primary is now %s (%s:%d)", name, url.getHost(), url.getPort());
        leader = name;
      }
    } catch (Exception e) {
      LOG.warnf("Patroni member %s has no usable conn_url: %s", name, e.toString());
    }
    return null;
  }
}
