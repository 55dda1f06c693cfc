package io.vigil.backup.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.backup.config.BackupConfig;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.topology.RegionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;

/**
 * The PostgreSQL server backups are taken from: with a Patroni scope, the leader Patroni records in
 * etcd at the moment of asking (a replica would make {@code pg_basebackup} wait for its next
 * restartpoint, and streams WAL only as far as it has replayed); else the configured server.
 */
@ApplicationScoped
public class PostgresSource {

  private final BackupConfig.Postgres config;
  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final ObjectMapper json;

  PostgresSource(BackupConfig config, EtcdGateway etcd, RegionConfig region, ObjectMapper json) {
    this.config = config.postgres();
    this.etcd = etcd;
    this.region = region;
    this.json = json;
  }

  /** The primary now; empty while a Patroni cluster has no leader (a failover in progress). */
  public Optional<PatroniLeader> primary() {
    if (config.host().isEmpty()) {
      return Optional.empty();
    }
    if (config.patroniScope().isEmpty() || !etcd.enabled()) {
      return Optional.of(new PatroniLeader("configured", config.host().get(), config.port()));
    }
    String prefix = PatroniLeader.prefix(config.patroniNamespace(), config.patroniScope().get());
    try {
      Map<String, String> kvs = etcd.getPrefix(prefix).await().atMost(region.etcd().callTimeout());
      return PatroniLeader.find(kvs, prefix, json);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
