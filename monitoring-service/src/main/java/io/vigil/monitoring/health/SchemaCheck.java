package io.vigil.monitoring.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/** Neither started nor ready before the schema migrations are applied. */
@Startup
@Readiness
@ApplicationScoped
public class SchemaCheck implements HealthCheck {

  private final SchemaMigrator migrator;

  SchemaCheck(SchemaMigrator migrator) {
    this.migrator = migrator;
  }

  @Override
  public HealthCheckResponse call() {
    boolean up = migrator.migrated();
    return HealthCheckResponse.named("schema")
        .status(up)
        .withData("dependency", "postgresql-schema")
        .withData(up ? "detail" : "reason", up ? "migrated" : migrator.lastError())
        .build();
  }
}
