package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.Json;
import java.util.HashSet;
import java.util.Set;

/**
 * A data set's {@code data_schema} as OpenScale fills it from its subscription: a Spark struct
 * whose fields carry {@code metadata.modeling_role} (record-id, record-timestamp, feature, label,
 * prediction, probability). IBM's SDK requires the schema on every data set.
 */
final class DataSchemas {

  private DataSchemas() {}

  /** An empty struct, for a data set nothing describes yet. */
  static ObjectNode empty() {
    ObjectNode schema = Json.MAPPER.createObjectNode().put("type", "struct");
    schema.putArray("fields");
    return schema;
  }

  /** The schema of a subscription's data set of {@code type}. */
  static ObjectNode of(JsonNode subscription, String type) {
    ObjectNode schema = empty();
    ArrayNode fields = (ArrayNode) schema.get("fields");
    JsonNode props = subscription.path("asset_properties");
    boolean payload = type.equals("payload_logging");
    field(fields, "scoring_id", "string", "record-id");
    field(fields, "scoring_timestamp", "timestamp", "record-timestamp");
    Set<String> categorical = new HashSet<>();
    props.path("categorical_fields").forEach(f -> categorical.add(f.asText()));
    for (JsonNode f : props.path("feature_fields")) {
      ObjectNode field =
          field(
              fields,
              f.asText(),
              categorical.contains(f.asText()) ? "string" : "double",
              "feature");
      if (categorical.contains(f.asText())) {
        ((ObjectNode) field.get("metadata")).put("measure", "discrete");
      }
    }
    if (!payload && props.path("label_column").isTextual()) {
      field(fields, props.get("label_column").asText(), "string", "label");
    }
    if (!type.equals("training") && props.path("prediction_field").isTextual()) {
      field(fields, props.get("prediction_field").asText(), "string", "prediction");
    }
    if (payload) {
      for (JsonNode p : props.path("probability_fields")) {
        ObjectNode field = fields.addObject().put("name", p.asText()).put("nullable", true);
        field
            .putObject("type")
            .put("type", "array")
            .put("elementType", "double")
            .put("containsNull", true);
        field.putObject("metadata").put("modeling_role", "probability");
      }
    }
    return schema;
  }

  private static ObjectNode field(ArrayNode fields, String name, String type, String role) {
    ObjectNode field = fields.addObject().put("name", name).put("type", type).put("nullable", true);
    field.putObject("metadata").put("modeling_role", role);
    return field;
  }
}
