package io.vigil.monitoring.service.monitor;

import io.smallrye.mutiny.Uni;

/**
 * One monitor Vigil computes (quality, fairness, drift_v2, performance): its measurement from the
 * records of a subscription. Formulas: OPENSCALE-API.md; the math lives in {@code
 * io.vigil.monitoring.metrics}, the reads in {@code repository.MonitorQueries}.
 */
public interface Monitor {

  /** The monitor definition id this monitor computes, e.g. {@code drift_v2}. */
  String definitionId();

  /** The measurement now, or {@link Outcome.Insufficient} with the reason. */
  Uni<Outcome> evaluate(MonitorContext context);
}
