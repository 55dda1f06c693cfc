package io.vigil.commons.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Parsing request bodies with the API's own 400 messages, strictly: one JSON document and nothing
 * after it, nested at most {@value #MAX_DEPTH} deep, no NUL character in a string or a field name
 * (PostgreSQL cannot store one), no number beyond a double's range ({@code 1e400} would become
 * Infinity), no string longer than {@value #MAX_STRING} characters.
 */
public final class Json {

  /** Deepest nesting a request may have. */
  public static final int MAX_DEPTH = 64;

  /** Longest string value a request may hold. */
  public static final int MAX_STRING = 1_000_000;

  /** The shared mapper (strict: trailing tokens fail). */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_DEPTH)
                          .maxStringLength(MAX_STRING)
                          .maxNumberLength(400)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  /** Parses a body that must be JSON. */
  public static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      throw ApiException.badRequest("the request needs a JSON body");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
    }
    check(node, "$");
    return node;
  }

  /**
   * Refuses what PostgreSQL or a double cannot hold: NUL characters, non-finite numbers. The walk
   * builds no path; the path of a refused value is found only then.
   */
  private static void check(JsonNode node, String at) {
    if (!holdable(node)) {
      refuse(node, at);
    }
  }

  private static boolean holdable(JsonNode node) {
    switch (node.getNodeType()) {
      case STRING:
        return node.textValue().indexOf('\0') < 0;
      case NUMBER:
        return Double.isFinite(node.doubleValue());
      case OBJECT:
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          if (e.getKey().indexOf('\0') >= 0 || !holdable(e.getValue())) {
            return false;
          }
        }
        return true;
      case ARRAY:
        for (int i = 0; i < node.size(); i++) {
          if (!holdable(node.get(i))) {
            return false;
          }
        }
        return true;
      default:
        return true;
    }
  }

  /** Throws for the first value {@link #holdable} refuses, naming where it is. */
  private static void refuse(JsonNode node, String at) {
    if (node.isTextual()) {
      throw ApiException.badRequest("the string at " + at + " contains a NUL character");
    } else if (node.isNumber()) {
      throw ApiException.badRequest("the number at " + at + " is out of range");
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (e.getKey().indexOf('\0') >= 0) {
          throw ApiException.badRequest("a field name in " + at + " contains a NUL character");
        }
        if (!holdable(e.getValue())) {
          refuse(e.getValue(), at + "." + e.getKey());
        }
      }
    } else {
      for (int i = 0; i < node.size(); i++) {
        if (!holdable(node.get(i))) {
          refuse(node.get(i), at + "[" + i + "]");
        }
      }
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
