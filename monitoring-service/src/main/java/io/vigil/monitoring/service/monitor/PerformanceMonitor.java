package io.vigil.monitoring.service.monitor;

import io.smallrye.mutiny.Uni;
import io.vigil.monitoring.repository.MonitorQueries;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.Map;

/** performance: how many payload records arrived since the previous measurement. */
@ApplicationScoped
public class PerformanceMonitor implements Monitor {

  private final MonitorQueries queries;

  PerformanceMonitor(MonitorQueries queries) {
    this.queries = queries;
  }

  @Override
  public String definitionId() {
    return "performance";
  }

  @Override
  public Uni<Outcome> evaluate(MonitorContext ctx) {
    String since = ctx.previousMeasurementTime();
    return queries
        .countSince(
            ctx.dataSet("payload_logging"), since == null ? null : OffsetDateTime.parse(since))
        .map(n -> Outcome.measured(Map.of("record_count", (double) n), Outcome.array()));
  }
}
