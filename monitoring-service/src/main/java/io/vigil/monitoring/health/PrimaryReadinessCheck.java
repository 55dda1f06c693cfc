package io.vigil.monitoring.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.topology.BackgroundProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the write pool reaches a PostgreSQL primary (a server not in recovery). Checked in the
 * background; the probe answers from the last result.
 */
@Readiness
@ApplicationScoped
public class PrimaryReadinessCheck implements HealthCheck {

  private final BackgroundProbe probe;
  private final Vertx vertx;

  PrimaryReadinessCheck(Pool pool, MonitoringConfig config, Vertx vertx) {
    this.vertx = vertx;
    this.probe =
        new BackgroundProbe(
            "postgresql-primary",
            config.readiness().interval(),
            config.readiness().timeout(),
            () ->
                pool.query("SELECT pg_is_in_recovery()")
                    .execute()
                    .map(
                        rows -> {
                          if (rows.iterator().next().getBoolean(0)) {
                            throw new IllegalStateException(
                                "the write pool reaches a standby, not the primary");
                          }
                          return "write pool reaches the primary";
                        }));
  }

  void onStart(@Observes StartupEvent event) {
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
