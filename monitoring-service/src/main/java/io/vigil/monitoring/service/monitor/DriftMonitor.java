package io.vigil.monitoring.service.monitor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.monitoring.metrics.DriftMetrics;
import io.vigil.monitoring.repository.MonitorQueries;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * drift_v2: the newest {@code max_samples} payload records against a baseline — the training data
 * set when there is one, else the oldest payload records: prediction drift (Jensen-Shannon), per
 * feature drift (Jensen-Shannon, PSI, Kolmogorov-Smirnov for numbers), confidence drift.
 */
@ApplicationScoped
public class DriftMonitor implements Monitor {

  private final MonitorQueries queries;

  DriftMonitor(MonitorQueries queries) {
    this.queries = queries;
  }

  @Override
  public String definitionId() {
    return "drift_v2";
  }

  @Override
  public Uni<Outcome> evaluate(MonitorContext ctx) {
    int minSamples = ctx.param("min_samples", 100);
    int maxSamples = ctx.param("max_samples", 10_000);
    String prediction = ctx.prop("prediction_field", "prediction");
    String label = ctx.prop("label_column", prediction);
    String probability = ctx.probabilityField();
    List<String> features = ctx.propList("feature_fields");
    Set<String> categorical = new HashSet<>(ctx.propList("categorical_fields"));
    String payload = ctx.dataSet("payload_logging");
    String training = ctx.dataSets().get("training");
    DriftSample current = new DriftSample(features.size());
    DriftSample baseline = new DriftSample(features.size());
    // the payload's value counts: its newest or oldest max records, or all of them (max 0)
    PayloadSample payloadSample =
        (max, newest, sink) ->
            queries.sampleCounts(
                payload, prediction, prediction, probability, features, max, newest, sink);
    // the baseline: the training data set when it has records, else the oldest payload records
    return (training == null
            ? Uni.createFrom().item(0L)
            : queries.sampleCounts(
                training,
                prediction,
                label,
                probability,
                features,
                maxSamples,
                true,
                baseline::add))
        .chain(() -> queries.countSince(payload, null))
        .chain(
            total -> {
              boolean needBaseline = baseline.size() == 0;
              if (total <= maxSamples) {
                // the whole payload is within max_samples: its newest and its oldest records are
                // all of it, read once without sorting (as the baseline too, when it is needed)
                MonitorQueries.GroupCount sink =
                    needBaseline
                        ? (column, value, n) -> {
                          current.add(column, value, n);
                          baseline.add(column, value, n);
                        }
                        : current::add;
                return payloadSample.apply(0, true, sink);
              }
              Uni<Long> newest = payloadSample.apply(maxSamples, true, current::add);
              return !needBaseline
                  ? newest
                  : newest.chain(() -> payloadSample.apply(maxSamples, false, baseline::add));
            })
        .map(
            ignored -> {
              if (current.size() < minSamples || baseline.size() < minSamples) {
                return new Outcome.Insufficient(
                    "drift needs at least "
                        + minSamples
                        + " records in the payload window and the baseline (min_samples); there are "
                        + current.size()
                        + " and "
                        + baseline.size());
              }
              return values(ctx, features, categorical, baseline, current);
            });
  }

  /** One pass over the payload into a sample. */
  @FunctionalInterface
  private interface PayloadSample {
    Uni<Long> apply(int max, boolean newest, MonitorQueries.GroupCount sink);
  }

  private static Outcome values(
      MonitorContext ctx,
      List<String> features,
      Set<String> categorical,
      DriftSample baseline,
      DriftSample current) {
    ArrayNode values = Outcome.array();
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
    // the distributions compared, per feature: the console draws baseline against current
    ObjectNode distributions = JsonNodeFactory.instance.objectNode();
    for (int f = 0; f < features.size(); f++) {
      DriftSample.Histogram b = baseline.features.get(f);
      DriftSample.Histogram cur = current.features.get(f);
      ObjectNode block = values.addObject();
      ArrayNode metrics = block.putArray("metrics");
      block.putArray("tags").addObject().put("id", "feature").put("value", features.get(f));
      double[][] counts;
      ObjectNode distribution = distributions.putObject(features.get(f));
      if (categorical.contains(features.get(f)) || !b.numeric || !cur.numeric) {
        counts = categoricalCounts(b.byText, cur.byText);
        TreeSet<String> categories = new TreeSet<>(b.byText.keySet());
        categories.addAll(cur.byText.keySet());
        categories.forEach(distribution.putArray("bins")::add);
      } else {
        counts = DriftMetrics.numericCounts(b.byNumber, cur.byNumber);
        binLabels(b.byNumber, distribution.putArray("bins"));
        double[] ks = DriftMetrics.kolmogorovSmirnov(b.byNumber, cur.byNumber);
        metrics.addObject().put("id", "ks_statistic").put("value", ks[0]);
        metrics.addObject().put("id", "ks_p_value").put("value", ks[1]);
      }
      for (double c : counts[0]) {
        distribution.withArray("baseline").add((long) c);
      }
      for (double c : counts[1]) {
        distribution.withArray("current").add((long) c);
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
    ArrayNode sources = Outcome.array();
    sources
        .addObject()
        .put("id", "feature_distributions")
        .put("type", "drift_distributions")
        .set("data", distributions);
    return new Outcome.Measured(values, sources);
  }

  /** The equal-width bins over the baseline's range, as DriftMetrics.numericCounts makes them. */
  private static void binLabels(java.util.NavigableMap<Double, Long> baseline, ArrayNode labels) {
    double min = baseline.isEmpty() ? 0 : baseline.firstKey();
    double max = baseline.isEmpty() ? 0 : baseline.lastKey();
    double width = (max - min) / DriftMetrics.BINS;
    for (int i = 0; i < DriftMetrics.BINS; i++) {
      labels.add(
          String.format(
              java.util.Locale.ROOT, "%.4g–%.4g", min + i * width, min + (i + 1) * width));
    }
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
}
