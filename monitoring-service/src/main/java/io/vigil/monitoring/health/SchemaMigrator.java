package io.vigil.monitoring.health;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vigil.monitoring.config.MonitoringConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * Applies the Flyway migrations at start-up on a worker thread, again and again until the database
 * answers, so the process starts (and stays alive) while PostgreSQL is away. The instance is
 * neither started nor ready before the schema is in place.
 */
@ApplicationScoped
public class SchemaMigrator {

  private static final Logger LOG = Logger.getLogger(SchemaMigrator.class);

  private final Flyway flyway;
  private final Vertx vertx;
  private final MonitoringConfig config;
  private final AtomicBoolean migrated = new AtomicBoolean();
  private volatile String lastError = "not attempted yet";

  SchemaMigrator(Flyway flyway, Vertx vertx, MonitoringConfig config) {
    this.flyway = flyway;
    this.vertx = vertx;
    this.config = config;
  }

  void onStart(@Observes StartupEvent event) {
    attempt();
  }

  private void attempt() {
    vertx
        .executeBlocking(() -> flyway.migrate(), false)
        .onSuccess(
            result -> {
              migrated.set(true);
              LOG.infof(
                  "Schema at version %s (%d migrations applied now)",
                  flyway.info().current() == null ? "?" : flyway.info().current().getVersion(),
                  result.migrationsExecuted);
            })
        .onFailure(
            failure -> {
              lastError = failure.getClass().getSimpleName() + ": " + failure.getMessage();
              LOG.warnf("Schema migration failed, retrying: %s", lastError);
              vertx.setTimer(config.schema().retryInterval().toMillis(), id -> attempt());
            });
  }

  /** Whether the schema is in place. */
  public boolean migrated() {
    return migrated.get();
  }

  /** Why the schema is not in place yet, when it is not. */
  public String lastError() {
    return lastError;
  }
}
