package io.vigil.monitoring.service.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.monitoring.metrics.FairnessMetrics;
import io.vigil.monitoring.repository.MonitorQueries;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * fairness: over the latest {@code min_records} payload records, per feature the rate of favourable
 * predictions of the monitored (minority) group against the reference (majority) group.
 */
@ApplicationScoped
public class FairnessMonitor implements Monitor {

  private final MonitorQueries queries;

  FairnessMonitor(MonitorQueries queries) {
    this.queries = queries;
  }

  @Override
  public String definitionId() {
    return "fairness";
  }

  @Override
  public Uni<Outcome> evaluate(MonitorContext ctx) {
    JsonNode features = ctx.parameters().path("features");
    if (!features.isArray() || features.isEmpty()) {
      return Uni.createFrom()
          .item(
              new Outcome.Insufficient(
                  "fairness needs parameters.features (feature, majority, minority)"));
    }
    List<Object> favourable = new ArrayList<>();
    ctx.parameters()
        .path("favourable_class")
        .forEach(v -> favourable.add(v.isNumber() ? v.numberValue() : v.asText()));
    if (favourable.isEmpty()) {
      return Uni.createFrom()
          .item(new Outcome.Insufficient("fairness needs parameters.favourable_class"));
    }
    FairnessMetrics.Group favourableGroup = new FairnessMetrics.Group(favourable);
    int minimum = ctx.param("min_records", 100);
    List<String> names = new ArrayList<>();
    List<FairnessMetrics.Counter> counters = new ArrayList<>();
    features.forEach(
        f -> {
          names.add(f.path("feature").asText());
          counters.add(
              new FairnessMetrics.Counter(
                  new FairnessMetrics.Group(groups(f.path("minority"))),
                  new FairnessMetrics.Group(groups(f.path("majority")))));
        });
    String payload = ctx.dataSet("payload_logging");
    // the count first (from an index): too few records need no reading, and when the latest
    // min_records are all there are, they are read in one unsorted pass instead of sorted by time
    return queries
        .countSince(payload, null)
        .chain(
            total -> {
              if (total < minimum) {
                return Uni.createFrom()
                    .item(
                        (Outcome)
                            new Outcome.Insufficient(
                                "fairness needs at least "
                                    + minimum
                                    + " payload records (min_records); there are "
                                    + total));
              }
              return queries
                  .predictionsByFeature(
                      payload,
                      ctx.prop("prediction_field", "prediction"),
                      names,
                      total <= minimum ? 0 : minimum,
                      (f, prediction, value, n) ->
                          counters.get(f).add(value, favourableGroup.contains(prediction), n))
                  .map(n -> measured(features, names, counters));
            });
  }

  private static Outcome measured(
      JsonNode features, List<String> names, List<FairnessMetrics.Counter> counters) {
    ArrayNode values = Outcome.array();
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
      tags.addObject().put("id", "monitored_count").put("value", Long.toString(r.monitoredCount()));
      tags.addObject().put("id", "reference_count").put("value", Long.toString(r.referenceCount()));
    }
    return new Outcome.Measured(values, Outcome.array());
  }

  /** A group's values: categories, or numeric ranges such as {@code [[18, 25]]}. */
  private static List<Object> groups(JsonNode array) {
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
}
