package io.vigil.monitoring.service.monitor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** What a monitor run produced: a measurement, or why there is none (never a made-up number). */
public sealed interface Outcome
    permits Outcome.Measured, Outcome.Insufficient, Outcome.Failed, Outcome.External {

  /** Metric values, as measurement {@code values} (and {@code sources}). */
  record Measured(ArrayNode values, ArrayNode sources) implements Outcome {}

  /** Not enough data, or configuration missing to compute: the reason. */
  record Insufficient(String message) implements Outcome {}

  /** A dependency of the run failed (e.g. the deployment that scores feedback): code and why. */
  record Failed(String code, String message) implements Outcome {}

  /**
   * A monitor computed outside Vigil (a custom definition): the run waits for the client, who posts
   * its measurements and ends it with {@code PATCH .../runs/{id}}.
   */
  record External(String message) implements Outcome {}

  /** An empty JSON array (values, tags or sources). */
  static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** One block of metrics without tags; NaN and infinite values are left out. */
  static Measured measured(Map<String, Double> metrics, ArrayNode sources) {
    ArrayNode values = array();
    ObjectNode block = values.addObject();
    ArrayNode list = block.putArray("metrics");
    metrics.forEach(
        (id, v) -> {
          if (v != null && !v.isNaN() && !v.isInfinite()) {
            list.addObject().put("id", id).put("value", v);
          }
        });
    block.putArray("tags");
    return new Measured(values, sources);
  }
}
