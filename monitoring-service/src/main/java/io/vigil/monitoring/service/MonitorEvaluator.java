package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.metrics.DriftMetrics;
import io.vigil.monitoring.metrics.FairnessMetrics;
import io.vigil.monitoring.metrics.QualityMetrics;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.RowStreamer;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.rest.Json;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Computes a monitor instance's measurement from the records of its subscription (which data each
 * monitor reads: OPENSCALE-API.md). A run without enough data ends with {@link Insufficient}, never
 * with a made-up number.
 */
@ApplicationScoped
public class MonitorEvaluator {

  /** What a run produced. */
  public sealed interface Outcome permits Measured, Insufficient {}

  /** Metric values, as measurement {@code values} (and {@code sources}). */
  public record Measured(ArrayNode values, ArrayNode sources) implements Outcome {}

  /** Not enough data, or configuration missing to compute: the reason. */
  public record Insufficient(String message) implements Outcome {}

  private final Pool pool;
  private final ResourceRepository resources;
  private final RowStreamer rows;

  MonitorEvaluator(Pool pool, ResourceRepository resources, RowStreamer rows) {
    this.pool = pool;
    this.resources = resources;
    this.rows = rows;
  }

  /** Evaluates a monitor instance now. */
  public Uni<Outcome> evaluate(
      String tenant, StoredResource monitor, String previousMeasurementTime) {
    ObjectNode e = monitor.entity();
    String definition = e.path("monitor_definition_id").asText();
    if (!e.path("target").path("target_type").asText().equals("subscription")) {
      return Uni.createFrom()
          .item(new Insufficient("only subscriptions can be monitored by " + definition));
    }
    String subscriptionId = e.path("target").path("target_id").asText();
    return resources
        .get(pool, tenant, ResourceKind.SUBSCRIPTIONS, subscriptionId)
        .chain(
            subscription -> {
              if (subscription == null) {
                return Uni.createFrom()
                    .<Outcome>item(
                        new Insufficient("subscription " + subscriptionId + " no longer exists"));
              }
              return dataSets(tenant, subscriptionId)
                  .chain(
                      sets -> {
                        Context ctx =
                            new Context(subscription.entity(), e.path("parameters"), sets);
                        return switch (definition) {
                          case "quality" -> quality(ctx);
                          case "fairness" -> fairness(ctx);
                          case "drift_v2" -> drift(ctx);
                          case "performance" -> performance(ctx, previousMeasurementTime);
                          default ->
                              Uni.createFrom()
                                  .<Outcome>item(
                                      new Insufficient(
                                          "'"
                                              + definition
                                              + "' is computed outside Vigil; post its measurements"));
                        };
                      });
            });
  }

  private record Context(
      ObjectNode subscription, JsonNode parameters, Map<String, String> dataSets) {
    JsonNode props() {
      return subscription.path("asset_properties");
    }

    String prop(String name, String fallback) {
      return props().path(name).asText(fallback);
    }

    String problemType() {
      return subscription.path("asset").path("problem_type").asText("binary");
    }

    int param(String name, int fallback) {
      return parameters.path(name).asInt(fallback);
    }

    List<String> labels() {
      List<String> labels = new ArrayList<>();
      props().path("labels").forEach(l -> labels.add(l.asText()));
      return labels;
    }
  }

  private Uni<Map<String, String>> dataSets(String tenant, String subscriptionId) {
    ObjectNode filter = Json.MAPPER.createObjectNode();
    filter.putObject("target").put("target_type", "subscription").put("target_id", subscriptionId);
    return resources
        .list(pool, tenant, ResourceKind.DATA_SETS, filter)
        .map(
            list -> {
              Map<String, String> byType = new HashMap<>();
              list.forEach(ds -> byType.putIfAbsent(ds.entity().path("type").asText(), ds.id()));
              return byType;
            });
  }

  // ---- quality ----

  private Uni<Outcome> quality(Context ctx) {
    String label = ctx.prop("label_column", null);
    if (label == null) {
      return Uni.createFrom()
          .item(new Insufficient("the subscription has no asset_properties.label_column"));
    }
    String prediction = ctx.prop("prediction_field", "prediction");
    String probability = ctx.props().path("probability_fields").path(0).asText("probability");
    String txField = ctx.prop("transaction_id_field", "scoring_id");
    int minimum = ctx.param("min_feedback_data_size", 50);
    List<String> actual = new ArrayList<>();
    List<String> predicted = new ArrayList<>();
    List<double[]> probabilities = new ArrayList<>();
    String sql =
        "SELECT m->$3, m->$4, m->$5 FROM (SELECT coalesce(p.row_values, '{}'::jsonb) || f.row_values AS m"
            + " FROM records f LEFT JOIN records p ON p.data_set_id = $2 AND p.record_id = f.row_values->>$6"
            + " WHERE f.data_set_id = $1) x WHERE m ? $3 AND m ? $4";
    return rows.forEach(
            sql,
            Tuple.tuple(
                Arrays.asList(
                    ctx.dataSets().get("feedback"),
                    ctx.dataSets().getOrDefault("payload_logging", ""),
                    label,
                    prediction,
                    probability,
                    txField)),
            r -> {
              String a = text(r.getValue(0));
              String p = text(r.getValue(1));
              if (a != null && p != null) {
                actual.add(a);
                predicted.add(p);
                probabilities.add(numbers(r.getValue(2)));
              }
            })
        .map(
            n -> {
              if (actual.size() < minimum) {
                return new Insufficient(
                    "quality needs at least "
                        + minimum
                        + " labelled feedback rows with a prediction (min_feedback_data_size); there are "
                        + actual.size());
              }
              return ctx.problemType().equals("regression")
                  ? regression(actual, predicted)
                  : classification(ctx, actual, predicted, probabilities);
            });
  }

  private Outcome classification(
      Context ctx, List<String> actual, List<String> predicted, List<double[]> probs) {
    List<String> labels = ctx.labels();
    if (labels.isEmpty()) {
      TreeSet<String> seen = new TreeSet<>(actual);
      seen.addAll(predicted);
      labels = new ArrayList<>(seen);
    }
    int n = actual.size();
    ArrayNode sources = Json.MAPPER.createArrayNode();
    Map<String, Double> metrics;
    if (ctx.problemType().equals("binary")) {
      String positive =
          ctx.prop("positive_label", labels.size() > 1 ? labels.get(1) : labels.get(0));
      int positiveIndex = Math.max(0, labels.indexOf(positive));
      int[] a = new int[n];
      int[] p = new int[n];
      double[] score = new double[n];
      boolean haveScores = true;
      for (int i = 0; i < n; i++) {
        a[i] = actual.get(i).equals(positive) ? 1 : 0;
        p[i] = predicted.get(i).equals(positive) ? 1 : 0;
        double[] pr = probs.get(i);
        if (pr == null) {
          haveScores = false;
        } else {
          score[i] =
              pr.length == 1 ? pr[0] : pr.length > positiveIndex ? pr[positiveIndex] : Double.NaN;
          haveScores &= !Double.isNaN(score[i]);
        }
      }
      metrics = QualityMetrics.binary(a, p, haveScores ? score : null);
      long[] c = QualityMetrics.confusion(a, p);
      String negative =
          labels.stream().filter(l -> !l.equals(positive)).findFirst().orElse("not " + positive);
      ObjectNode cm =
          sources.addObject().put("id", "confusion_matrix").put("type", "confusion_matrix");
      ObjectNode data = cm.putObject("data");
      data.putArray("labels").add(negative).add(positive);
      ArrayNode matrix = data.putArray("matrix");
      matrix.addArray().add(c[0]).add(c[1]);
      matrix.addArray().add(c[2]).add(c[3]);
    } else {
      Map<String, Integer> index = new LinkedHashMap<>();
      labels.forEach(l -> index.putIfAbsent(l, index.size()));
      actual.forEach(l -> index.putIfAbsent(l, index.size()));
      predicted.forEach(l -> index.putIfAbsent(l, index.size()));
      int[] a = new int[n];
      int[] p = new int[n];
      double[][] pr = new double[n][];
      boolean haveScores = true;
      for (int i = 0; i < n; i++) {
        a[i] = index.get(actual.get(i));
        p[i] = index.get(predicted.get(i));
        pr[i] = probs.get(i);
        haveScores &= pr[i] != null && pr[i].length == index.size();
      }
      metrics = QualityMetrics.multiclass(a, p, haveScores ? pr : null, index.size());
    }
    metrics.put("record_count", (double) n);
    return measured(metrics, null, sources);
  }

  private Outcome regression(List<String> actual, List<String> predicted) {
    int n = actual.size();
    double[] a = new double[n];
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      try {
        a[i] = Double.parseDouble(actual.get(i));
        p[i] = Double.parseDouble(predicted.get(i));
      } catch (NumberFormatException e) {
        return new Insufficient(
            "a regression label or prediction is not a number: '"
                + actual.get(i)
                + "' / '"
                + predicted.get(i)
                + "'");
      }
    }
    Map<String, Double> metrics = QualityMetrics.regression(a, p);
    return measured(metrics, null, Json.MAPPER.createArrayNode());
  }

  // ---- fairness ----

  private Uni<Outcome> fairness(Context ctx) {
    JsonNode features = ctx.parameters().path("features");
    if (!features.isArray() || features.isEmpty()) {
      return Uni.createFrom()
          .item(
              new Insufficient("fairness needs parameters.features (feature, majority, minority)"));
    }
    List<Object> favourable = new ArrayList<>();
    ctx.parameters()
        .path("favourable_class")
        .forEach(v -> favourable.add(v.isNumber() ? v.numberValue() : v.asText()));
    if (favourable.isEmpty()) {
      return Uni.createFrom().item(new Insufficient("fairness needs parameters.favourable_class"));
    }
    FairnessMetrics.Group favourableGroup = new FairnessMetrics.Group(favourable);
    int minimum = ctx.param("min_records", 100);
    String prediction = ctx.prop("prediction_field", "prediction");
    List<String> names = new ArrayList<>();
    features.forEach(f -> names.add(f.path("feature").asText()));
    StringBuilder select = new StringBuilder("SELECT row_values->$2");
    List<Object> args =
        new ArrayList<>(List.of(ctx.dataSets().getOrDefault("payload_logging", ""), prediction));
    for (String name : names) {
      args.add(name);
      select.append(", row_values->$").append(args.size());
    }
    args.add(minimum);
    select
        .append(" FROM records WHERE data_set_id = $1 ORDER BY ts DESC, seq DESC LIMIT $")
        .append(args.size());
    List<Object[]> read = new ArrayList<>();
    return rows.forEach(
            select.toString(),
            Tuple.tuple(args),
            r -> {
              Object[] v = new Object[names.size() + 1];
              for (int i = 0; i <= names.size(); i++) {
                v[i] = scalar(r.getValue(i));
              }
              read.add(v);
            })
        .map(
            n -> {
              if (read.size() < minimum) {
                return new Insufficient(
                    "fairness needs at least "
                        + minimum
                        + " payload records (min_records); there are "
                        + read.size());
              }
              boolean[] fav = new boolean[read.size()];
              for (int i = 0; i < read.size(); i++) {
                fav[i] = favourableGroup.contains(read.get(i)[0]);
              }
              ArrayNode values = Json.MAPPER.createArrayNode();
              for (int f = 0; f < names.size(); f++) {
                JsonNode spec = features.get(f);
                Object[] column = new Object[read.size()];
                for (int i = 0; i < read.size(); i++) {
                  column[i] = read.get(i)[f + 1];
                }
                FairnessMetrics.Result r =
                    FairnessMetrics.compute(
                        column,
                        fav,
                        new FairnessMetrics.Group(list(spec.path("minority"))),
                        new FairnessMetrics.Group(list(spec.path("majority"))));
                ObjectNode block = values.addObject();
                ArrayNode metrics = block.putArray("metrics");
                double limit = spec.path("threshold").asDouble(0.8) * 100;
                if (!Double.isNaN(r.fairnessValue())) {
                  metrics
                      .addObject()
                      .put("id", "fairness_value")
                      .put("value", r.fairnessValue())
                      .put("lower_limit", limit);
                }
                if (!Double.isNaN(r.statisticalParityDifference())) {
                  metrics
                      .addObject()
                      .put("id", "statistical_parity_difference")
                      .put("value", r.statisticalParityDifference());
                }
                ArrayNode tags = block.putArray("tags");
                tags.addObject().put("id", "feature").put("value", names.get(f));
                tags.addObject()
                    .put("id", "monitored_count")
                    .put("value", Long.toString(r.monitoredCount()));
                tags.addObject()
                    .put("id", "reference_count")
                    .put("value", Long.toString(r.referenceCount()));
              }
              return new Measured(values, Json.MAPPER.createArrayNode());
            });
  }

  private static List<Object> list(JsonNode array) {
    List<Object> out = new ArrayList<>();
    for (JsonNode v : array) {
      if (v.isArray()) {
        List<Object> range = new ArrayList<>();
        v.forEach(x -> range.add(x.numberValue()));
        out.add(range);
      } else {
        out.add(v.isNumber() ? v.numberValue() : v.asText());
      }
    }
    return out;
  }

  // ---- drift v2 ----

  private Uni<Outcome> drift(Context ctx) {
    int minSamples = ctx.param("min_samples", 100);
    int maxSamples = ctx.param("max_samples", 10_000);
    String prediction = ctx.prop("prediction_field", "prediction");
    String label = ctx.prop("label_column", prediction);
    String probability = ctx.props().path("probability_fields").path(0).asText("probability");
    List<String> features = new ArrayList<>();
    ctx.props().path("feature_fields").forEach(f -> features.add(f.asText()));
    java.util.Set<String> categorical = new java.util.HashSet<>();
    ctx.props().path("categorical_fields").forEach(f -> categorical.add(f.asText()));
    String payload = ctx.dataSets().getOrDefault("payload_logging", "");
    String training = ctx.dataSets().get("training");
    Sample current = new Sample(features.size());
    Sample baseline = new Sample(features.size());
    return sample(payload, prediction, prediction, probability, features, maxSamples, true, current)
        .chain(
            () ->
                training == null
                    ? Uni.createFrom().item(0L)
                    : sample(
                        training,
                        prediction,
                        label,
                        probability,
                        features,
                        maxSamples,
                        true,
                        baseline))
        .chain(
            taken ->
                baseline.size() > 0
                    ? Uni.createFrom().item(taken)
                    : sample(
                        payload,
                        prediction,
                        prediction,
                        probability,
                        features,
                        maxSamples,
                        false,
                        baseline))
        .map(
            ignored -> {
              if (current.size() < minSamples || baseline.size() < minSamples) {
                return new Insufficient(
                    "drift needs at least "
                        + minSamples
                        + " records in the payload window and the baseline (min_samples); there are "
                        + current.size()
                        + " and "
                        + baseline.size());
              }
              return driftValues(ctx, features, categorical, baseline, current);
            });
  }

  /** Columns of a sample: prediction, max probability, features. */
  private static final class Sample {
    final List<String> predictions = new ArrayList<>();
    final List<Double> confidence = new ArrayList<>();
    final List<List<Object>> features = new ArrayList<>();

    Sample(int n) {
      for (int i = 0; i < n; i++) {
        features.add(new ArrayList<>());
      }
    }

    int size() {
      return predictions.size();
    }
  }

  private Uni<Long> sample(
      String dataSet,
      String prediction,
      String fallbackPrediction,
      String probability,
      List<String> features,
      int max,
      boolean newest,
      Sample into) {
    List<Object> args =
        new ArrayList<>(List.of(dataSet, prediction, fallbackPrediction, probability));
    StringBuilder sql =
        new StringBuilder("SELECT coalesce(row_values->$2, row_values->$3), row_values->$4");
    for (String f : features) {
      args.add(f);
      sql.append(", row_values->$").append(args.size());
    }
    args.add(max);
    sql.append(" FROM records WHERE data_set_id = $1 ORDER BY ts ")
        .append(newest ? "DESC, seq DESC" : "ASC, seq ASC")
        .append(" LIMIT $")
        .append(args.size());
    return rows.forEach(
        sql.toString(),
        Tuple.tuple(args),
        r -> {
          Object p = scalar(r.getValue(0));
          into.predictions.add(p == null ? "" : p.toString());
          double[] pr = numbers(r.getValue(1));
          into.confidence.add(pr == null ? null : Arrays.stream(pr).max().orElse(Double.NaN));
          for (int i = 0; i < features.size(); i++) {
            into.features.get(i).add(scalar(r.getValue(i + 2)));
          }
        });
  }

  private Outcome driftValues(
      Context ctx,
      List<String> features,
      java.util.Set<String> categorical,
      Sample baseline,
      Sample current) {
    ArrayNode values = Json.MAPPER.createArrayNode();
    ObjectNode overall = values.addObject();
    ArrayNode overallMetrics = overall.putArray("metrics");
    overall.putArray("tags");
    double predictionDrift;
    if (ctx.problemType().equals("regression")) {
      double[][] c =
          DriftMetrics.numericCounts(doubles(baseline.predictions), doubles(current.predictions));
      predictionDrift = DriftMetrics.jensenShannon(c[0], c[1]);
    } else {
      double[][] c =
          DriftMetrics.categoricalCounts(
              baseline.predictions.toArray(String[]::new),
              current.predictions.toArray(String[]::new));
      predictionDrift = DriftMetrics.jensenShannon(c[0], c[1]);
    }
    overallMetrics
        .addObject()
        .put("id", "prediction_drift_score")
        .put("value", predictionDrift)
        .put("upper_limit", 0.05);
    double worstFeature = 0;
    for (int f = 0; f < features.size(); f++) {
      List<Object> b = baseline.features.get(f);
      List<Object> cur = current.features.get(f);
      boolean numeric =
          !categorical.contains(features.get(f))
              && b.stream().allMatch(v -> v instanceof Number)
              && cur.stream().allMatch(v -> v instanceof Number);
      ObjectNode block = values.addObject();
      ArrayNode metrics = block.putArray("metrics");
      block.putArray("tags").addObject().put("id", "feature").put("value", features.get(f));
      double js;
      double psi;
      if (numeric) {
        double[] bv = b.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
        double[] cv = cur.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
        double[][] counts = DriftMetrics.numericCounts(bv, cv);
        js = DriftMetrics.jensenShannon(counts[0], counts[1]);
        psi = DriftMetrics.psi(counts[0], counts[1]);
        double[] ks = DriftMetrics.kolmogorovSmirnov(bv, cv);
        metrics.addObject().put("id", "ks_statistic").put("value", ks[0]);
        metrics.addObject().put("id", "ks_p_value").put("value", ks[1]);
      } else {
        double[][] counts = DriftMetrics.categoricalCounts(strings(b), strings(cur));
        js = DriftMetrics.jensenShannon(counts[0], counts[1]);
        psi = DriftMetrics.psi(counts[0], counts[1]);
      }
      metrics
          .addObject()
          .put("id", "feature_drift_score")
          .put("value", js)
          .put("upper_limit", 0.05);
      metrics
          .addObject()
          .put("id", "population_stability_index")
          .put("value", psi)
          .put("upper_limit", 0.25);
      worstFeature = Math.max(worstFeature, js);
    }
    if (!features.isEmpty()) {
      overallMetrics
          .addObject()
          .put("id", "feature_drift_score")
          .put("value", worstFeature)
          .put("upper_limit", 0.05);
    }
    if (baseline.confidence.stream().allMatch(c -> c != null && !c.isNaN())
        && current.confidence.stream().allMatch(c -> c != null && !c.isNaN())) {
      double[][] counts =
          DriftMetrics.probabilityCounts(
              baseline.confidence.stream().mapToDouble(Double::doubleValue).toArray(),
              current.confidence.stream().mapToDouble(Double::doubleValue).toArray());
      overallMetrics
          .addObject()
          .put("id", "confidence_drift_score")
          .put("value", DriftMetrics.totalVariation(counts[0], counts[1]))
          .put("upper_limit", 0.05);
    }
    overall
        .withArray("tags")
        .addObject()
        .put("id", "baseline_count")
        .put("value", Integer.toString(baseline.size()));
    overall
        .withArray("tags")
        .addObject()
        .put("id", "payload_count")
        .put("value", Integer.toString(current.size()));
    return new Measured(values, Json.MAPPER.createArrayNode());
  }

  // ---- performance ----

  private Uni<Outcome> performance(Context ctx, String since) {
    return rows.count(
            "SELECT count(*) FROM records WHERE data_set_id = $1 AND ($2::timestamptz IS NULL OR ts >= $2)",
            Tuple.tuple(
                Arrays.asList(
                    ctx.dataSets().getOrDefault("payload_logging", ""),
                    since == null ? null : java.time.OffsetDateTime.parse(since))))
        .map(
            n -> measured(Map.of("record_count", (double) n), null, Json.MAPPER.createArrayNode()));
  }

  // ---- helpers ----

  private static Measured measured(Map<String, Double> metrics, ArrayNode tags, ArrayNode sources) {
    ArrayNode values = Json.MAPPER.createArrayNode();
    ObjectNode block = values.addObject();
    ArrayNode list = block.putArray("metrics");
    metrics.forEach(
        (id, v) -> {
          if (v != null && !v.isNaN() && !v.isInfinite()) {
            list.addObject().put("id", id).put("value", v);
          }
        });
    block.set("tags", tags == null ? Json.MAPPER.createArrayNode() : tags);
    return new Measured(values, sources);
  }

  /** A jsonb value from the client as a string (labels), or null. */
  static String text(Object v) {
    Object s = scalar(v);
    if (s == null) {
      return null;
    }
    if (s instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return Long.toString(d.longValue());
    }
    return s.toString();
  }

  /** A jsonb scalar as String or Number, or null. */
  static Object scalar(Object v) {
    if (v == null || v == Tuple.JSON_NULL) {
      return null;
    }
    if (v instanceof Number n) {
      return n instanceof Double || n instanceof Float
          ? (Object) n.doubleValue()
          : (Object) n.longValue();
    }
    if (v instanceof String || v instanceof Boolean) {
      return v instanceof Boolean ? v.toString() : v;
    }
    return v.toString();
  }

  /** A jsonb number or array of numbers as doubles, or null. */
  static double[] numbers(Object v) {
    if (v instanceof Number n) {
      return new double[] {n.doubleValue()};
    }
    if (v instanceof JsonArray a) {
      double[] out = new double[a.size()];
      for (int i = 0; i < out.length; i++) {
        Object x = a.getValue(i);
        if (!(x instanceof Number n)) {
          return null;
        }
        out[i] = n.doubleValue();
      }
      return out;
    }
    return null;
  }

  private static double[] doubles(List<String> values) {
    return values.stream()
        .mapToDouble(
            s -> {
              try {
                return Double.parseDouble(s);
              } catch (NumberFormatException e) {
                return Double.NaN;
              }
            })
        .filter(d -> !Double.isNaN(d))
        .toArray();
  }

  private static String[] strings(List<Object> values) {
    return values.stream()
        .map(
            v ->
                v == null
                    ? ""
                    : v instanceof Double d && d == Math.rint(d)
                        ? Long.toString(d.longValue())
                        : v.toString())
        .toArray(String[]::new);
  }
}
