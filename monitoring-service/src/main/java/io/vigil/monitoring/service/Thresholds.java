package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * Puts each metric's limits on a measurement and counts the issues: a monitor instance's thresholds
 * win over the limit a computation set (fairness per feature), which wins over the definition's
 * defaults.
 */
final class Thresholds {

  private Thresholds() {}

  /** Sets {@code lower_limit}/{@code upper_limit} on every metric; answers the issue count. */
  static int apply(JsonNode values, JsonNode instanceThresholds, ObjectNode definition) {
    Map<String, double[]> limits = new HashMap<>();
    if (definition != null) {
      for (JsonNode m : definition.path("metrics")) {
        for (JsonNode t : m.path("thresholds")) {
          put(limits, m.path("id").asText(), t.path("type").asText(), t.path("default").asDouble());
        }
      }
    }
    Map<String, double[]> overrides = new HashMap<>();
    for (JsonNode t : instanceThresholds) {
      put(
          overrides,
          t.path("metric_id").asText(),
          t.path("type").asText(),
          t.path("value").asDouble());
    }
    int issues = 0;
    for (JsonNode block : values) {
      for (JsonNode metric : block.path("metrics")) {
        ObjectNode m = (ObjectNode) metric;
        String id = m.path("id").asText();
        double[] fromDefinition = limits.getOrDefault(id, new double[] {Double.NaN, Double.NaN});
        double[] fromInstance = overrides.getOrDefault(id, new double[] {Double.NaN, Double.NaN});
        double lower = pick(fromInstance[0], m.path("lower_limit"), fromDefinition[0]);
        double upper = pick(fromInstance[1], m.path("upper_limit"), fromDefinition[1]);
        double value = m.path("value").asDouble();
        if (!Double.isNaN(lower)) {
          m.put("lower_limit", lower);
        }
        if (!Double.isNaN(upper)) {
          m.put("upper_limit", upper);
        }
        if (value < lower || value > upper) {
          issues++;
        }
      }
    }
    return issues;
  }

  private static double pick(double instance, JsonNode computed, double definition) {
    if (!Double.isNaN(instance)) {
      return instance;
    }
    if (computed.isNumber()) {
      return computed.asDouble();
    }
    return definition;
  }

  private static void put(Map<String, double[]> limits, String metric, String type, double value) {
    double[] l = limits.computeIfAbsent(metric, k -> new double[] {Double.NaN, Double.NaN});
    l[type.equals("lower_limit") ? 0 : 1] = value;
  }
}
