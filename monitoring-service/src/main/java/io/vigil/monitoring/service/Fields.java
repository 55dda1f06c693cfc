package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;
import java.util.Set;

/** Reads and checks fields of an entity; a wrong one is a 400 that names it. */
final class Fields {

  private Fields() {}

  static JsonNode at(JsonNode entity, String path) {
    JsonNode node = entity;
    for (String part : path.split("\\.")) {
      node = node == null ? null : node.get(part);
    }
    return node == null || node.isNull() ? null : node;
  }

  static String text(JsonNode entity, String path) {
    JsonNode v = at(entity, path);
    if (v == null) {
      throw ApiException.badRequest("'" + path + "' is required");
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw ApiException.badRequest("'" + path + "' must be a non-empty string");
    }
    return v.asText();
  }

  static String optionalText(JsonNode entity, String path) {
    return at(entity, path) == null ? null : text(entity, path);
  }

  static String oneOf(JsonNode entity, String path, Set<String> allowed, String fallback) {
    String value = fallback == null ? text(entity, path) : optionalText(entity, path);
    if (value == null) {
      return fallback;
    }
    if (!allowed.contains(value)) {
      throw ApiException.badRequest(
          "'" + path + "' must be one of " + allowed + ", not '" + value + "'");
    }
    return value;
  }

  static ObjectNode object(JsonNode entity, String path, boolean required) {
    JsonNode v = at(entity, path);
    if (v == null) {
      if (required) {
        throw ApiException.badRequest("'" + path + "' is required");
      }
      return null;
    }
    if (!v.isObject()) {
      throw ApiException.badRequest("'" + path + "' must be an object");
    }
    return (ObjectNode) v;
  }

  static void textArray(JsonNode entity, String path) {
    JsonNode v = at(entity, path);
    if (v == null) {
      return;
    }
    if (!v.isArray()) {
      throw ApiException.badRequest("'" + path + "' must be an array of strings");
    }
    for (JsonNode item : v) {
      if (!item.isTextual()) {
        throw ApiException.badRequest("'" + path + "' must be an array of strings");
      }
    }
  }

  static void array(JsonNode entity, String path) {
    JsonNode v = at(entity, path);
    if (v != null && !v.isArray()) {
      throw ApiException.badRequest("'" + path + "' must be an array");
    }
  }

  static Integer positiveInt(JsonNode entity, String path) {
    JsonNode v = at(entity, path);
    if (v == null) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw ApiException.badRequest("'" + path + "' must be a positive whole number");
    }
    return v.asInt();
  }

  static void number(JsonNode entity, String path) {
    JsonNode v = at(entity, path);
    if (v == null) {
      throw ApiException.badRequest("'" + path + "' is required");
    }
    if (!v.isNumber()) {
      throw ApiException.badRequest("'" + path + "' must be a number");
    }
  }
}
