package io.vigil.monitoring.service.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a monitor evaluates: the tenant, the subscription it watches, the monitor instance's
 * parameters, the subscription's data sets by type, and the time of the previous measurement (or
 * null).
 */
public record MonitorContext(
    String tenant,
    ObjectNode subscription,
    JsonNode parameters,
    Map<String, String> dataSets,
    String previousMeasurementTime) {

  /** The subscription's {@code asset_properties}. */
  public JsonNode props() {
    return subscription.path("asset_properties");
  }

  /** An asset property as text, or {@code fallback}. */
  public String prop(String name, String fallback) {
    return props().path(name).asText(fallback);
  }

  /** The first probability field, by default {@code probability}. */
  public String probabilityField() {
    return props().path("probability_fields").path(0).asText("probability");
  }

  /** {@code binary}, {@code multiclass} or {@code regression}. */
  public String problemType() {
    return subscription.path("asset").path("problem_type").asText("binary");
  }

  /** An integer parameter of the monitor instance, or {@code fallback}. */
  public int param(String name, int fallback) {
    return parameters.path(name).asInt(fallback);
  }

  /** The labels the subscription declares, in their order. */
  public List<String> labels() {
    List<String> labels = new ArrayList<>();
    props().path("labels").forEach(l -> labels.add(l.asText()));
    return labels;
  }

  /** A text-valued asset property that is a list (feature_fields, categorical_fields). */
  public List<String> propList(String name) {
    List<String> out = new ArrayList<>();
    props().path(name).forEach(f -> out.add(f.asText()));
    return out;
  }

  /** The id of the subscription's data set of {@code type}, or {@code ""} when it has none. */
  public String dataSet(String type) {
    return dataSets.getOrDefault(type, "");
  }
}
