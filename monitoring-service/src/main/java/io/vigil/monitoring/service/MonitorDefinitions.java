package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in monitor definitions a client finds in {@code GET /v2/monitor_definitions}: {@code
 * quality}, {@code fairness}, {@code drift_v2} and {@code performance}, with their metrics and
 * default thresholds (OPENSCALE-API.md).
 */
public final class MonitorDefinitions {

  /** Built-in definitions Vigil computes, by id, in listing order. */
  public static final Map<String, ObjectNode> BUILT_IN = new LinkedHashMap<>();

  /**
   * Every definition listed to clients: the built-ins, then OpenScale's monitors Vigil does not
   * compute (explainability, drift v1, model risk management). IBM's SDK builds its {@code
   * MONITORS} enum from this list, so a notebook's {@code MONITORS.EXPLAINABILITY.ID} resolves; an
   * instance of one of those is refused with a 400 naming what Vigil computes.
   */
  public static final Map<String, ObjectNode> LISTED = new LinkedHashMap<>();

  static {
    ObjectNode quality =
        definition("Quality", "How well the model predicts, from labelled feedback");
    metric(quality, "area_under_roc", "Area under ROC", "lower_limit", 0.8, true);
    metric(quality, "area_under_pr", "Area under PR", null, 0, true);
    metric(quality, "accuracy", "Accuracy", null, 0, true);
    metric(quality, "true_positive_rate", "True positive rate", null, 0, true);
    metric(quality, "false_positive_rate", "False positive rate", null, 0, false);
    metric(quality, "recall", "Recall", null, 0, true);
    metric(quality, "precision", "Precision", null, 0, true);
    metric(quality, "f1_measure", "F1 measure", null, 0, true);
    metric(quality, "log_loss", "Log loss", null, 0, false);
    metric(quality, "gini_coefficient", "Gini coefficient", null, 0, true);
    metric(
        quality,
        "matthews_correlation_coefficient",
        "Matthews correlation coefficient",
        null,
        0,
        true);
    metric(quality, "weighted_precision", "Weighted precision", null, 0, true);
    metric(quality, "weighted_recall", "Weighted recall", null, 0, true);
    metric(quality, "weighted_f1_measure", "Weighted F1 measure", null, 0, true);
    metric(quality, "mean_absolute_error", "Mean absolute error", null, 0, false);
    metric(quality, "mean_squared_error", "Mean squared error", null, 0, false);
    metric(quality, "root_mean_squared_error", "Root mean squared error", null, 0, false);
    metric(quality, "r2", "R squared", null, 0, true);
    metric(quality, "explained_variance", "Explained variance", null, 0, true);
    parameters(quality, "min_feedback_data_size");
    BUILT_IN.put("quality", quality);

    ObjectNode fairness =
        definition("Fairness", "Disparate impact of the model's favourable outcomes");
    metric(
        fairness,
        "fairness_value",
        "Fairness value (disparate impact, %)",
        "lower_limit",
        80,
        true);
    metric(
        fairness, "statistical_parity_difference", "Statistical parity difference", null, 0, true);
    parameters(fairness, "min_records");
    BUILT_IN.put("fairness", fairness);

    ObjectNode drift =
        definition("Drift v2", "Change of predictions, features and confidence from the baseline");
    metric(
        drift,
        "prediction_drift_score",
        "Prediction drift (Jensen-Shannon distance)",
        "upper_limit",
        0.05,
        false);
    metric(
        drift,
        "feature_drift_score",
        "Feature drift (Jensen-Shannon distance)",
        "upper_limit",
        0.05,
        false);
    metric(
        drift,
        "confidence_drift_score",
        "Confidence drift (total variation)",
        "upper_limit",
        0.05,
        false);
    metric(
        drift,
        "population_stability_index",
        "Population stability index",
        "upper_limit",
        0.25,
        false);
    metric(drift, "ks_statistic", "Kolmogorov-Smirnov statistic", null, 0, false);
    metric(drift, "ks_p_value", "Kolmogorov-Smirnov p-value", null, 0, true);
    parameters(drift, "min_samples");
    BUILT_IN.put("drift_v2", drift);

    ObjectNode performance = definition("Performance", "Throughput of scored records");
    metric(performance, "record_count", "Record count", null, 0, true);
    BUILT_IN.put("performance", performance);

    LISTED.putAll(BUILT_IN);
    notComputed("explainability", "Explainability", "Explanations of single predictions");
    notComputed("drift", "Drift", "Drop in accuracy and data consistency (drift v1)");
    notComputed("mrm", "Model risk management monitoring", "Model risk management evaluations");
  }

  private static void notComputed(String id, String name, String what) {
    LISTED.put(
        id,
        definition(
            name,
            what
                + " (OpenScale; not computed by Vigil: it computes "
                + String.join(", ", BUILT_IN.keySet())
                + ")"));
  }

  /** Whether a definition id is one of OpenScale's that Vigil lists but does not compute. */
  public static boolean notComputed(String id) {
    return LISTED.containsKey(id) && !BUILT_IN.containsKey(id);
  }

  private MonitorDefinitions() {}

  private static ObjectNode definition(String name, String description) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("name", name);
    d.put("description", description);
    d.putArray("metrics");
    d.putArray("tags");
    d.put("built_in", true);
    return d;
  }

  private static void metric(
      ObjectNode def,
      String id,
      String name,
      String thresholdType,
      double threshold,
      boolean higherIsBetter) {
    ObjectNode m = ((ArrayNode) def.get("metrics")).addObject();
    m.put("id", id);
    m.put("name", name);
    ArrayNode thresholds = m.putArray("thresholds");
    if (thresholdType != null) {
      thresholds.addObject().put("type", thresholdType).put("default", threshold);
    }
    m.put("expected_direction", higherIsBetter ? "increasing" : "decreasing");
  }

  private static void parameters(ObjectNode def, String minimumParameter) {
    ObjectNode schema = def.putObject("parameters_schema");
    schema.put("type", "object");
    schema
        .putObject("properties")
        .putObject(minimumParameter)
        .put("type", "integer")
        .put("minimum", 1);
  }

  /** The metric ids of a definition entity. */
  public static java.util.Set<String> metricIds(ObjectNode definition) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    definition.path("metrics").forEach(m -> ids.add(m.path("id").asText()));
    return ids;
  }
}
