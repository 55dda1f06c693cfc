package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.repository.MeasurementRepository;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code metrics} view of measurements: metric values grouped by tags and by time bucket
 * ({@code interval}), each reduced with an aggregation ({@code
 * agg=metric:avg|count|first|last|max|min|sum}, or a bare function for every metric, as IBM's SDK
 * sends {@code agg=last}). Each metric carries its values both as {@code values} and in OpenScale's
 * shape, {@code <fn>: {value: [...], measurement_id: [...]}} (one per bucket).
 */
public final class MetricAggregation {

  static final Set<String> AGGREGATIONS =
      Set.of("avg", "count", "first", "last", "max", "min", "sum");
  static final Set<String> INTERVALS = Set.of("minute", "hour", "day", "week", "month", "year");

  private MetricAggregation() {}

  /** The key of a bare function: every metric not named on its own. */
  static final String EVERY = "*";

  /**
   * Parses {@code agg} parameters ({@code metric:fn} or a bare {@code fn} for every metric,
   * comma-separated or repeated).
   */
  public static Map<String, String> aggregations(List<String> params) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String p : params) {
      for (String one : p.split(",")) {
        String[] parts = one.trim().split(":");
        String fn = parts[parts.length - 1];
        if (parts.length > 2 || !AGGREGATIONS.contains(fn) || parts[0].isEmpty()) {
          throw ApiException.badRequest(
              "agg '" + one + "' is not metric:fn or fn, fn one of " + AGGREGATIONS);
        }
        out.put(parts.length == 1 ? EVERY : parts[0], fn);
      }
    }
    return out;
  }

  /** Builds the response body. Measurements may come in any order. */
  public static ObjectNode aggregate(
      List<MeasurementRepository.Measurement> measurements,
      Map<String, String> aggs,
      String interval,
      String start,
      String end) {
    if (!INTERVALS.contains(interval)) {
      throw ApiException.badRequest("'interval' must be one of " + INTERVALS);
    }
    List<MeasurementRepository.Measurement> ordered = new ArrayList<>(measurements);
    ordered.sort(
        (a, b) ->
            a.entity().path("timestamp").asText().compareTo(b.entity().path("timestamp").asText()));
    // tags -> metric -> bucket -> samples
    Map<String, Map<String, TreeMap<String, List<Sample>>>> groups = new LinkedHashMap<>();
    Map<String, JsonNode> tagsOf = new LinkedHashMap<>();
    for (MeasurementRepository.Measurement m : ordered) {
      String bucket = bucket(OffsetDateTime.parse(m.entity().path("timestamp").asText()), interval);
      for (JsonNode block : m.entity().path("values")) {
        String tagKey = block.path("tags").toString();
        tagsOf.putIfAbsent(tagKey, block.path("tags"));
        for (JsonNode metric : block.path("metrics")) {
          String id = metric.path("id").asText();
          if (!aggs.isEmpty() && !aggs.containsKey(id) && !aggs.containsKey(EVERY)) {
            continue;
          }
          groups
              .computeIfAbsent(tagKey, k -> new LinkedHashMap<>())
              .computeIfAbsent(id, k -> new TreeMap<>())
              .computeIfAbsent(bucket, k -> new ArrayList<>())
              .add(new Sample(metric.path("value").asDouble(), m.id()));
        }
      }
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    if (start != null) {
      out.put("start", start);
    }
    if (end != null) {
      out.put("end", end);
    }
    out.put("interval", interval);
    ArrayNode groupArray = out.putArray("groups");
    groups.forEach(
        (tagKey, metrics) -> {
          ObjectNode g = groupArray.addObject();
          g.set("tags", tagsOf.get(tagKey));
          ArrayNode ms = g.putArray("metrics");
          metrics.forEach(
              (id, buckets) -> {
                String fn = aggs.getOrDefault(id, aggs.getOrDefault(EVERY, "last"));
                ObjectNode metric = ms.addObject().put("id", id).put("agg", fn);
                ArrayNode values = metric.putArray("values");
                ObjectNode openscale = metric.putObject(fn);
                ArrayNode reduced = openscale.putArray("value");
                ArrayNode from = openscale.putArray("measurement_id");
                buckets.forEach(
                    (bucket, samples) -> {
                      List<Double> vs = samples.stream().map(Sample::value).toList();
                      double value = reduce(fn, vs);
                      values.addObject().put("timestamp", bucket).put("value", value);
                      reduced.add(value);
                      // the measurement the value comes from (first: the bucket's first, else last)
                      from.add(
                          (fn.equals("first") ? samples.get(0) : samples.get(samples.size() - 1))
                              .measurementId());
                    });
              });
        });
    return out;
  }

  /** One metric value and the measurement it comes from. */
  private record Sample(double value, String measurementId) {}

  static double reduce(String fn, List<Double> vs) {
    return switch (fn) {
      case "avg" -> vs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      case "count" -> vs.size();
      case "first" -> vs.get(0);
      case "last" -> vs.get(vs.size() - 1);
      case "max" -> vs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
      case "min" -> vs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
      default -> vs.stream().mapToDouble(Double::doubleValue).sum();
    };
  }

  static String bucket(OffsetDateTime t, String interval) {
    OffsetDateTime u = t.withOffsetSameInstant(ZoneOffset.UTC);
    OffsetDateTime b =
        switch (interval) {
          case "minute" -> u.truncatedTo(ChronoUnit.MINUTES);
          case "hour" -> u.truncatedTo(ChronoUnit.HOURS);
          case "day" -> u.truncatedTo(ChronoUnit.DAYS);
          case "week" ->
              u.truncatedTo(ChronoUnit.DAYS)
                  .with(TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
          case "month" -> u.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
          default -> u.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
        };
    return b.toString();
  }
}
