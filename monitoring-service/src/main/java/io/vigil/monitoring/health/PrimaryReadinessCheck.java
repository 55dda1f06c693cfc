package io.vigil.monitoring.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.health.BackgroundProbe;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.PrimaryFollowingPoolCreator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the write pool reaches a PostgreSQL primary (a server not in recovery) or, while it
 * cannot (a failover in progress), a replica Patroni lists: then reads are served from the replica
 * and writes answered 503 with Retry-After — the instance serves what can be served instead of
 * taking its zone out of the router. Checked in the background; the probe answers from the last
 * result.
 */
@Readiness
@ApplicationScoped
public class PrimaryReadinessCheck implements HealthCheck {

  private final BackgroundProbe probe;
  private final Pool pool;
  private final Vertx vertx;

  PrimaryReadinessCheck(
      Pool pool, PrimaryFollowingPoolCreator pools, MonitoringConfig config, Vertx vertx) {
    this.pool = pool;
    this.vertx = vertx;
    long timeout = Math.max(100, config.readiness().timeout().toMillis() - 50);
    this.probe =
        new BackgroundProbe(
            "postgresql-primary",
            config.readiness().interval(),
            config.readiness().timeout(),
            () -> Uni.createFrom().completionStage(() -> pools.probe(timeout).toCompletionStage()));
  }

  void onStart(@Observes StartupEvent event) {
    pool.getDelegate(); // builds the write pool (a lazy bean) before the first probe
    probe.start(vertx);
  }

  void onStop(@Observes ShutdownEvent event) {
    probe.stop();
  }

  @Override
  public HealthCheckResponse call() {
    return probe.response("postgresql-primary");
  }
}
