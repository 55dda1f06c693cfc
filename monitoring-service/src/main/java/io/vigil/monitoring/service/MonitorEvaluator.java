package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.metrics.Column;
import io.vigil.monitoring.metrics.DriftMetrics;
import io.vigil.monitoring.metrics.FairnessMetrics;
import io.vigil.monitoring.metrics.QualityMetrics;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.RowStreamer;
import io.vigil.monitoring.repository.StoredResource;
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

  /** Labels coded as numbers as rows stream in, so a run holds 8 bytes per value. */
  private static final class Codes {
    final Map<String, Integer> index = new LinkedHashMap<>();

    int code(String label) {
      return index.computeIfAbsent(label, l -> index.size());
    }

    List<String> labels() {
      return new ArrayList<>(index.keySet());
    }
  }

  /** Quality rows: coded label and prediction, the probability vector flattened. */
  private static final class QualityRows {
    final Codes codes = new Codes();
    final Column actual = new Column();
    final Column predicted = new Column();
    final Column probabilities = new Column();
    int width = -1;
    boolean probabilitiesValid = true;
    final List<String> rawActual = new ArrayList<>();
    final List<String> rawPredicted = new ArrayList<>();
    final boolean regression;

    QualityRows(boolean regression) {
      this.regression = regression;
    }

    void add(String a, String p, double[] probability) {
      if (regression) {
        rawActual.add(a);
        rawPredicted.add(p);
        return;
      }
      actual.add(codes.code(a));
      predicted.add(codes.code(p));
      if (probability == null || (width >= 0 && probability.length != width)) {
        probabilitiesValid = false;
      } else if (probabilitiesValid) {
        width = probability.length;
        for (double v : probability) {
          probabilities.add(v);
        }
      }
    }

    int size() {
      return regression ? rawActual.size() : actual.size();
    }
  }

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
    QualityRows data = new QualityRows(ctx.problemType().equals("regression"));
    // the label from the feedback row; prediction and probability from it, else from the payload
    // record with the same transaction id
    String sql =
        "SELECT f.row_values->$3, coalesce(f.row_values->$4, p.row_values->$4),"
            + " coalesce(f.row_values->$5, p.row_values->$5)"
            + " FROM records f LEFT JOIN records p ON p.data_set_id = $2 AND p.record_id = f.row_values->>$6"
            + " WHERE f.data_set_id = $1 AND f.row_values ? $3";
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
                data.add(a, p, numbers(r.getValue(2)));
              }
            })
        .map(
            n -> {
              if (data.size() < minimum) {
                return new Insufficient(
                    "quality needs at least "
                        + minimum
                        + " labelled feedback rows with a prediction (min_feedback_data_size); there are "
                        + data.size());
              }
              return data.regression
                  ? regression(data.rawActual, data.rawPredicted)
                  : classification(ctx, data);
            });
  }

  private Outcome classification(Context ctx, QualityRows data) {
    List<String> labels = ctx.labels();
    List<String> seen = data.codes.labels();
    if (labels.isEmpty()) {
      labels = new ArrayList<>(new TreeSet<>(seen));
    }
    int n = data.size();
    ArrayNode sources = Json.MAPPER.createArrayNode();
    Map<String, Double> metrics;
    boolean haveScores = data.probabilitiesValid && data.width > 0;
    if (ctx.problemType().equals("binary")) {
      String positive =
          ctx.prop("positive_label", labels.size() > 1 ? labels.get(1) : labels.get(0));
      int positiveIndex = Math.max(0, labels.indexOf(positive));
      int positiveCode = seen.indexOf(positive);
      int[] a = new int[n];
      int[] p = new int[n];
      double[] score = haveScores ? new double[n] : null;
      for (int i = 0; i < n; i++) {
        a[i] = (int) data.actual.get(i) == positiveCode ? 1 : 0;
        p[i] = (int) data.predicted.get(i) == positiveCode ? 1 : 0;
        if (score != null) {
          score[i] =
              data.width == 1
                  ? data.probabilities.get(i)
                  : data.probabilities.get(
                      i * data.width + Math.min(positiveIndex, data.width - 1));
        }
      }
      metrics = QualityMetrics.binary(a, p, score);
      long[] c = QualityMetrics.confusion(a, p);
      String negative =
          labels.stream().filter(l -> !l.equals(positive)).findFirst().orElse("not " + positive);
      ObjectNode cm =
          sources.addObject().put("id", "confusion_matrix").put("type", "confusion_matrix");
      ObjectNode matrixData = cm.putObject("data");
      matrixData.putArray("labels").add(negative).add(positive);
      ArrayNode matrix = matrixData.putArray("matrix");
      matrix.addArray().add(c[0]).add(c[1]);
      matrix.addArray().add(c[2]).add(c[3]);
    } else {
      // class index = position in labels; labels never declared come after them
      List<String> classes = new ArrayList<>(labels);
      seen.stream().filter(l -> !classes.contains(l)).forEach(classes::add);
      int[] byCode = new int[seen.size()];
      for (int code = 0; code < seen.size(); code++) {
        byCode[code] = classes.indexOf(seen.get(code));
      }
      int[] a = new int[n];
      int[] p = new int[n];
      boolean scores = haveScores && data.width == classes.size();
      double[][] pr = scores ? new double[n][] : null;
      for (int i = 0; i < n; i++) {
        a[i] = byCode[(int) data.actual.get(i)];
        p[i] = byCode[(int) data.predicted.get(i)];
        if (scores) {
          pr[i] = new double[data.width];
          for (int k = 0; k < data.width; k++) {
            pr[i][k] = data.probabilities.get(i * data.width + k);
          }
        }
      }
      metrics = QualityMetrics.multiclass(a, p, pr, classes.size());
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
    return measured(QualityMetrics.regression(a, p), null, Json.MAPPER.createArrayNode());
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
    List<FairnessMetrics.Counter> counters = new ArrayList<>();
    features.forEach(
        f -> {
          names.add(f.path("feature").asText());
          counters.add(
              new FairnessMetrics.Counter(
                  new FairnessMetrics.Group(list(f.path("minority"))),
                  new FairnessMetrics.Group(list(f.path("majority")))));
        });
    // PostgreSQL counts (prediction, feature value) pairs over the latest records, one grouping
    // set per feature, so only distinct pairs cross the wire
    List<Object> args =
        new ArrayList<>(List.of(ctx.dataSets().getOrDefault("payload_logging", ""), prediction));
    StringBuilder inner = new StringBuilder("SELECT row_values->$2 AS p");
    StringBuilder sets = new StringBuilder();
    StringBuilder grouping = new StringBuilder();
    StringBuilder columns = new StringBuilder();
    for (int f = 0; f < names.size(); f++) {
      args.add(names.get(f));
      inner.append(", row_values->$").append(args.size()).append(" AS f").append(f);
      sets.append(f == 0 ? "" : ", ").append("(p, f").append(f).append(')');
      grouping.append("GROUPING(f").append(f).append("), ");
      columns.append(", f").append(f);
    }
    args.add(minimum);
    inner
        .append(" FROM records WHERE data_set_id = $1 ORDER BY ts DESC, seq DESC LIMIT $")
        .append(args.size());
    String sql =
        "SELECT "
            + grouping
            + "p"
            + columns
            + ", count(*) FROM ("
            + inner
            + ") s GROUP BY GROUPING SETS ("
            + sets
            + ")";
    int k = names.size();
    long[] total = new long[1];
    return rows.forEach(
            sql,
            Tuple.tuple(args),
            r -> {
              long n = r.getLong(2 * k + 1);
              boolean fav = favourableGroup.contains(scalar(r.getValue(k)));
              for (int f = 0; f < k; f++) {
                if (r.getInteger(f) == 0) {
                  counters.get(f).add(scalar(r.getValue(k + 1 + f)), fav, n);
                  if (f == 0) {
                    total[0] += n;
                  }
                  return;
                }
              }
            })
        .map(ignored -> total[0])
        .map(
            n -> {
              if (n < minimum) {
                return new Insufficient(
                    "fairness needs at least "
                        + minimum
                        + " payload records (min_records); there are "
                        + n);
              }
              ArrayNode values = Json.MAPPER.createArrayNode();
              for (int f = 0; f < names.size(); f++) {
                FairnessMetrics.Result r = counters.get(f).result();
                ObjectNode block = values.addObject();
                ArrayNode metrics = block.putArray("metrics");
                double limit = features.get(f).path("threshold").asDouble(0.8) * 100;
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

  /** Counts of one column's values in a sample: by text, and by number while all are numbers. */
  private static final class Histogram {
    final Map<String, Long> byText = new java.util.HashMap<>();
    final java.util.TreeMap<Double, Long> byNumber = new java.util.TreeMap<>();
    boolean numeric = true;
    long total;

    void add(Object value, long n) {
      Object v = scalar(value);
      total += n;
      if (v instanceof Number number) {
        byNumber.merge(number.doubleValue(), n, Long::sum);
      } else {
        numeric = false;
      }
      byText.merge(v == null ? "" : category(v), n, Long::sum);
    }
  }

  /** A sample's histograms: predictions, confidence bins (null bin = no probability), features. */
  private static final class Sample {
    final Histogram predictions = new Histogram();
    final Histogram confidence = new Histogram();
    final List<Histogram> features = new ArrayList<>();

    Sample(int features) {
      for (int i = 0; i < features; i++) {
        this.features.add(new Histogram());
      }
    }

    long size() {
      return predictions.total;
    }
  }

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

  /**
   * Reads a sample's histograms in one pass: PostgreSQL counts the prediction, the confidence bin
   * (highest class probability, 10 bins over [0, 1]) and every feature with GROUPING SETS, so only
   * distinct values cross the wire.
   */
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
    StringBuilder inner =
        new StringBuilder(
            "SELECT coalesce(row_values->$2, row_values->$3) AS c0, CASE jsonb_typeof(row_values->$4)"
                + " WHEN 'number' THEN least(floor((row_values->>$4)::float8 * 10), 9)::int"
                + " WHEN 'array' THEN least(floor((SELECT max(x::float8) FROM jsonb_array_elements_text(row_values->$4) x) * 10), 9)::int"
                + " END AS c1");
    int columns = features.size() + 2;
    for (int f = 0; f < features.size(); f++) {
      args.add(features.get(f));
      inner.append(", row_values->$").append(args.size()).append(" AS c").append(f + 2);
    }
    args.add(max);
    inner
        .append(" FROM records WHERE data_set_id = $1 ORDER BY ts ")
        .append(newest ? "DESC, seq DESC" : "ASC, seq ASC")
        .append(" LIMIT $")
        .append(args.size());
    StringBuilder sql = new StringBuilder("SELECT ");
    StringBuilder sets = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      sql.append("GROUPING(c").append(c).append("), ");
      sets.append(c == 0 ? "" : ", ").append("(c").append(c).append(')');
    }
    for (int c = 0; c < columns; c++) {
      sql.append('c').append(c).append(", ");
    }
    sql.append("count(*) FROM (")
        .append(inner)
        .append(") s GROUP BY GROUPING SETS (")
        .append(sets)
        .append(')');
    return rows.forEach(
        sql.toString(),
        Tuple.tuple(args),
        r -> {
          long n = r.getLong(2 * columns);
          for (int c = 0; c < columns; c++) {
            if (r.getInteger(c) == 0) {
              Object value = r.getValue(columns + c);
              Histogram h =
                  c == 0 ? into.predictions : c == 1 ? into.confidence : into.features.get(c - 2);
              h.add(value, n);
              return;
            }
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
    ArrayNode overallTags = overall.putArray("tags");
    double[][] predictionCounts =
        ctx.problemType().equals("regression")
                && baseline.predictions.numeric
                && current.predictions.numeric
            ? DriftMetrics.numericCounts(
                baseline.predictions.byNumber, current.predictions.byNumber)
            : categoricalCounts(baseline.predictions.byText, current.predictions.byText);
    overallMetrics
        .addObject()
        .put("id", "prediction_drift_score")
        .put("value", DriftMetrics.jensenShannon(predictionCounts[0], predictionCounts[1]))
        .put("upper_limit", 0.05);
    double worstFeature = 0;
    for (int f = 0; f < features.size(); f++) {
      Histogram b = baseline.features.get(f);
      Histogram cur = current.features.get(f);
      ObjectNode block = values.addObject();
      ArrayNode metrics = block.putArray("metrics");
      block.putArray("tags").addObject().put("id", "feature").put("value", features.get(f));
      double[][] counts;
      if (categorical.contains(features.get(f)) || !b.numeric || !cur.numeric) {
        counts = categoricalCounts(b.byText, cur.byText);
      } else {
        counts = DriftMetrics.numericCounts(b.byNumber, cur.byNumber);
        double[] ks = DriftMetrics.kolmogorovSmirnov(b.byNumber, cur.byNumber);
        metrics.addObject().put("id", "ks_statistic").put("value", ks[0]);
        metrics.addObject().put("id", "ks_p_value").put("value", ks[1]);
      }
      double js = DriftMetrics.jensenShannon(counts[0], counts[1]);
      metrics
          .addObject()
          .put("id", "feature_drift_score")
          .put("value", js)
          .put("upper_limit", 0.05);
      metrics
          .addObject()
          .put("id", "population_stability_index")
          .put("value", DriftMetrics.psi(counts[0], counts[1]))
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
    if (!baseline.confidence.byText.containsKey("") && !current.confidence.byText.containsKey("")) {
      double[][] counts = new double[2][DriftMetrics.BINS];
      baseline.confidence.byNumber.forEach((bin, n) -> counts[0][bin.intValue()] += n);
      current.confidence.byNumber.forEach((bin, n) -> counts[1][bin.intValue()] += n);
      overallMetrics
          .addObject()
          .put("id", "confidence_drift_score")
          .put("value", DriftMetrics.totalVariation(counts[0], counts[1]))
          .put("upper_limit", 0.05);
    }
    overallTags
        .addObject()
        .put("id", "baseline_count")
        .put("value", Long.toString(baseline.size()));
    overallTags.addObject().put("id", "payload_count").put("value", Long.toString(current.size()));
    return new Measured(values, Json.MAPPER.createArrayNode());
  }

  /** Category counts of two samples over the union of their categories, in name order. */
  private static double[][] categoricalCounts(
      Map<String, Long> baseline, Map<String, Long> current) {
    TreeSet<String> categories = new TreeSet<>(baseline.keySet());
    categories.addAll(current.keySet());
    double[][] counts = new double[2][categories.size()];
    int i = 0;
    for (String c : categories) {
      counts[0][i] = baseline.getOrDefault(c, 0L);
      counts[1][i] = current.getOrDefault(c, 0L);
      i++;
    }
    return counts;
  }

  private static String category(Object v) {
    if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return Long.toString(d.longValue());
    }
    return v.toString();
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
}
