package io.vigil.commons.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Parsing request bodies with the API's own 400 messages. */
public final class Json {

  /** The shared mapper. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /** Parses a body that must be JSON. */
  public static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      throw ApiException.badRequest("the request needs a JSON body");
    }
    try {
      return MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
    }
  }

  /** Parses a body that must be a JSON object. */
  public static ObjectNode object(String body) {
    JsonNode node = parse(body);
    if (!node.isObject()) {
      throw ApiException.badRequest("the body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /** An optional string field, with a default. */
  public static String optionalText(JsonNode node, String field, String fallback) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      throw ApiException.badRequest("'" + field + "' must be a non-empty string");
    }
    return value.asText();
  }
}
