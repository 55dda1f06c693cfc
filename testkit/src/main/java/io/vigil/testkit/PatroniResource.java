package io.vigil.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.PatroniCluster;
import io.vigil.process.PostgresServer;
import io.vigil.process.Workspace;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A highly available data layer for a {@code @QuarkusTest}: a three-member etcd and a three-member
 * Patroni cluster (synchronous mode, fast timings). The service follows the Patroni leader through
 * etcd; Flyway connects with a multi-host JDBC URL that picks the primary.
 */
public class PatroniResource implements QuarkusTestResourceLifecycleManager {

  /** Patroni scope of the test cluster. */
  public static final String SCOPE = "vigil-test";

  private static volatile PatroniCluster current;
  private EtcdCluster etcd;
  private PatroniCluster patroni;

  @Override
  public Map<String, String> start() {
    Workspace ws = Workspace.forTests();
    etcd = EtcdCluster.start(ws, "etcd-ha", 3);
    patroni =
        PatroniCluster.start(
            ws,
            etcd,
            SCOPE,
            List.of("pg-zone-a", "pg-zone-b", "pg-zone-c"),
            PatroniCluster.Timings.FAST);
    current = patroni;
    PatroniCluster.Member leader = patroni.awaitLeader(Duration.ofSeconds(60));
    String hosts =
        patroni.members().stream()
            .map(m -> "127.0.0.1:" + m.pgPort())
            .collect(Collectors.joining(","));
    Map<String, String> config =
        new HashMap<>(
            EtcdResource.serviceConfig(etcd, Optional.of(EtcdRoles.patroniPrefix(SCOPE))));
    config.putAll(
        Map.of(
            "vigil.monitoring.primary.patroni-scope",
            SCOPE,
            "quarkus.datasource.reactive.url",
            "postgresql://127.0.0.1:" + leader.pgPort() + "/" + PostgresServer.DATABASE,
            "quarkus.datasource.jdbc.url",
            "jdbc:postgresql://"
                + hosts
                + "/"
                + PostgresServer.DATABASE
                + "?targetServerType=primary",
            "quarkus.datasource.username",
            PostgresServer.USER,
            "quarkus.datasource.password",
            patroni.password()));
    return config;
  }

  /** The Patroni cluster of the running test application. */
  public static PatroniCluster current() {
    return current;
  }

  @Override
  public void stop() {
    if (patroni != null) {
      patroni.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }
}
