package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.repository.ResourceKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a valid entity of each kind looks like (OPENSCALE-API.md). {@link #check} fills defaults in
 * place and answers the resources the entity refers to, which must exist.
 */
final class EntityRules {

  /** A resource an entity refers to. */
  record Reference(ResourceKind kind, String id, String field) {}

  static final Set<String> SERVICE_TYPES =
      Set.of(
          "watson_machine_learning",
          "amazon_sagemaker",
          "azure_machine_learning",
          "azure_machine_learning_service",
          "spss_collaboration_and_deployment_services",
          "custom_machine_learning");
  static final Set<String> PROBLEM_TYPES = Set.of("binary", "multiclass", "regression");
  static final Set<String> DATA_SET_TYPES =
      Set.of(
          "payload_logging",
          "feedback",
          "training",
          "manual_labeling",
          "payload_logging_error",
          "business_payload",
          "explanations",
          "custom");

  /** OpenScale's monitors Vigil does not compute: refused by name rather than silently idle. */
  static final Set<String> INTEGRATED_SYSTEM_TYPES = Set.of("webhook", "slack");

  static final Set<String> THRESHOLD_TYPES = Set.of("lower_limit", "upper_limit");
  static final Set<String> REPEAT_UNITS = Set.of("minute", "hour", "day", "week", "month", "year");

  private EntityRules() {}

  /** The longest retention a setting may ask for: a hundred years. */
  static final int MAX_RETENTION_DAYS = 36_500;

  /** A retention setting in days (RecordLifecycle): absent, or 1 to a hundred years. */
  private static void retentionDays(ObjectNode e, String field) {
    Integer days = Fields.positiveInt(e, field);
    if (days == null) {
      e.remove(field); // null clears the setting; nothing without a value is answered
    } else if (days > MAX_RETENTION_DAYS) {
      throw ApiException.badRequest(
          "'" + field + "' must be at most " + MAX_RETENTION_DAYS + " days");
    }
  }

  static List<Reference> check(ResourceKind kind, ObjectNode e, String tenant) {
    List<Reference> refs = new ArrayList<>();
    e.remove("status"); // the server's: answered, never stored
    switch (kind) {
      case DATA_MARTS -> {
        Fields.optionalText(e, "name");
        Fields.optionalText(e, "description");
        retentionDays(e, "record_retention_days");
        retentionDays(e, "measurement_retention_days");
      }
      case SERVICE_PROVIDERS -> {
        Fields.text(e, "name");
        Fields.oneOf(e, "service_type", SERVICE_TYPES, null);
        Fields.object(e, "credentials", false);
        e.put(
            "operational_space_id",
            Fields.oneOf(
                e, "operational_space_id", Set.of("production", "pre_production"), "production"));
      }
      case SUBSCRIPTIONS -> {
        refs.add(dataMart(e, tenant));
        refs.add(
            new Reference(
                ResourceKind.SERVICE_PROVIDERS,
                Fields.text(e, "service_provider_id"),
                "service_provider_id"));
        Fields.object(e, "asset", true);
        Fields.text(e, "asset.asset_id");
        Fields.oneOf(e, "asset.problem_type", PROBLEM_TYPES, null);
        ((ObjectNode) e.get("asset"))
            .put(
                "asset_type",
                Fields.oneOf(e, "asset.asset_type", Set.of("model", "function"), "model"));
        ((ObjectNode) e.get("asset"))
            .put(
                "input_data_type",
                Fields.oneOf(
                    e,
                    "asset.input_data_type",
                    Set.of("structured", "unstructured_text", "unstructured_image"),
                    "structured"));
        Fields.object(e, "deployment", true);
        Fields.text(e, "deployment.deployment_id");
        if (Fields.object(e, "asset_properties", false) != null) {
          for (String f : List.of("label_column", "prediction_field", "transaction_id_field")) {
            Fields.optionalText(e, "asset_properties." + f);
          }
          for (String f : List.of("probability_fields", "feature_fields", "categorical_fields")) {
            Fields.textArray(e, "asset_properties." + f);
          }
          Fields.array(e, "asset_properties.labels");
        }
      }
      case DATA_SETS -> {
        refs.add(dataMart(e, tenant));
        Fields.text(e, "name");
        Fields.oneOf(e, "type", DATA_SET_TYPES, null);
        if (Fields.object(e, "data_schema", false) == null) {
          e.set("data_schema", DataSchemas.empty());
        }
        Fields.array(e, "data_schema.fields");
        target(e, refs);
        retentionDays(e, "retention_days");
      }
      case MONITOR_DEFINITIONS -> {
        Fields.text(e, "name");
        Fields.array(e, "metrics");
        JsonNode metrics = e.get("metrics");
        if (metrics == null || metrics.isEmpty()) {
          throw ApiException.badRequest("'metrics' must list at least one metric");
        }
        for (int i = 0; i < metrics.size(); i++) {
          Fields.text(metrics.get(i), "id");
          Fields.text(metrics.get(i), "name");
          Fields.array(metrics.get(i), "thresholds");
          for (JsonNode t : metrics.get(i).path("thresholds")) {
            Fields.oneOf(t, "type", THRESHOLD_TYPES, null);
            Fields.number(t, "default");
          }
        }
        Fields.textArray(e, "tags");
        e.remove("built_in");
      }
      case MONITOR_INSTANCES -> {
        refs.add(dataMart(e, tenant));
        String definition = Fields.text(e, "monitor_definition_id");
        if (MonitorDefinitions.notComputed(definition)) {
          throw ApiException.badRequest(
              "Vigil does not compute OpenScale's '"
                  + definition
                  + "' monitor; it computes "
                  + String.join(", ", MonitorDefinitions.BUILT_IN.keySet())
                  + " (a custom monitor definition takes measurements you compute and post)");
        }
        refs.add(
            new Reference(
                ResourceKind.MONITOR_DEFINITIONS,
                Fields.text(e, "monitor_definition_id"),
                "monitor_definition_id"));
        target(e, refs);
        if (Fields.object(e, "parameters", false) == null) {
          e.putObject("parameters");
        }
        for (String p :
            List.of("min_feedback_data_size", "min_records", "min_samples", "max_samples")) {
          Fields.positiveInt(e, "parameters." + p);
        }
        Fields.array(e, "parameters.features");
        for (JsonNode f : e.path("parameters").path("features")) {
          Fields.text(f, "feature");
          Fields.array(f, "majority");
          Fields.array(f, "minority");
        }
        Fields.array(e, "thresholds");
        for (JsonNode t : e.path("thresholds")) {
          Fields.text(t, "metric_id");
          Fields.oneOf(t, "type", THRESHOLD_TYPES, null);
          Fields.number(t, "value");
        }
        if (Fields.object(e, "schedule", false) != null) {
          if (Fields.positiveInt(e, "schedule.repeat_interval") == null) {
            throw ApiException.badRequest("'schedule.repeat_interval' is required");
          }
          Fields.oneOf(e, "schedule.repeat_unit", REPEAT_UNITS, null);
        }
      }
      case INTEGRATED_SYSTEMS -> {
        Fields.text(e, "name");
        Fields.optionalText(e, "description");
        Fields.oneOf(e, "type", INTEGRATED_SYSTEM_TYPES, null);
        Fields.object(e, "credentials", false);
        Fields.optionalText(e, "credentials.url");
        Fields.optionalText(e, "credentials.secret");
        Fields.object(e, "credentials.headers", false);
        for (JsonNode h : e.path("credentials").path("headers")) {
          if (!h.isTextual()) {
            throw ApiException.badRequest("'credentials.headers' values must be strings");
          }
        }
        Fields.object(e, "connection", false);
        Fields.optionalText(e, "connection.url");
        if (e.path("connection").path("url").isMissingNode()
            && e.path("credentials").path("url").isMissingNode()
            && e.path("credentials").path("secret_id").isMissingNode()) {
          throw ApiException.badRequest(
              "'connection.url' (or, to keep it write-only, 'credentials.url') is required");
        }
        if (Fields.object(e, "parameters", false) != null) {
          Fields.textArray(e, "parameters.subscription_ids");
        }
      }
      default -> throw new IllegalStateException(kind.toString());
    }
    return refs;
  }

  /** The {@code target} of a data set or monitor: a subscription it names must exist. */
  private static void target(ObjectNode e, List<Reference> refs) {
    Fields.object(e, "target", true);
    String type =
        Fields.oneOf(
            e, "target.target_type", Set.of("subscription", "instance", "data_mart"), null);
    String id = Fields.text(e, "target.target_id");
    if (type.equals("subscription")) {
      refs.add(new Reference(ResourceKind.SUBSCRIPTIONS, id, "target.target_id"));
    }
  }

  private static Reference dataMart(ObjectNode e, String tenant) {
    String id = Fields.text(e, "data_mart_id");
    if (!id.equals(tenant)) {
      throw ApiException.badRequest(
          "'data_mart_id' must be this service instance's data mart (" + tenant + ")");
    }
    return new Reference(ResourceKind.DATA_MARTS, id, "data_mart_id");
  }
}
