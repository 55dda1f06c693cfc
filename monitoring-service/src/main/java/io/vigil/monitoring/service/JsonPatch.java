package io.vigil.monitoring.service;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;

/**
 * JSON Patch (RFC 6902) on an entity: {@code add}, {@code remove}, {@code replace}, {@code test}.
 * Paths are JSON pointers into the entity, as OpenScale's PATCH bodies use them.
 */
public final class JsonPatch {

  private JsonPatch() {}

  /** Applies the operations to a copy of {@code entity} and answers the copy. */
  public static ObjectNode apply(ObjectNode entity, JsonNode patch) {
    if (!patch.isArray() || patch.isEmpty()) {
      throw ApiException.badRequest("a PATCH body is a non-empty JSON Patch array");
    }
    ObjectNode result = entity.deepCopy();
    for (JsonNode op : patch) {
      String name = op.path("op").asText("");
      String path = op.path("path").asText("");
      if (!path.startsWith("/") || path.length() < 2) {
        throw ApiException.badRequest(
            "a patch path is a JSON pointer such as /name, not '" + path + "'");
      }
      JsonPointer pointer = JsonPointer.compile(path);
      JsonNode parent = result.at(pointer.head());
      String last = pointer.last().getMatchingProperty();
      switch (name) {
        case "add", "replace" -> {
          if (!op.has("value")) {
            throw ApiException.badRequest(name + " at " + path + " needs a value");
          }
          set(parent, last, op.get("value"), name.equals("replace"), path);
        }
        case "remove" -> remove(parent, last, path);
        case "test" -> {
          if (!result.at(pointer).equals(op.get("value"))) {
            throw new ApiException(409, "test_failed", "test at " + path + " failed");
          }
        }
        default ->
            throw ApiException.badRequest(
                "unsupported patch op '" + name + "' (add, remove, replace, test)");
      }
    }
    return result;
  }

  private static void set(
      JsonNode parent, String last, JsonNode value, boolean mustExist, String path) {
    if (parent instanceof ObjectNode object) {
      if (mustExist && !object.has(last)) {
        throw ApiException.badRequest("nothing to replace at " + path);
      }
      object.set(last, value);
    } else if (parent instanceof ArrayNode array) {
      if (last.equals("-")) {
        array.add(value);
        return;
      }
      int index = index(last, array.size() + (mustExist ? 0 : 1), path);
      if (mustExist) {
        array.set(index, value);
      } else {
        array.insert(index, value);
      }
    } else {
      throw ApiException.badRequest("the parent of " + path + " does not exist");
    }
  }

  private static void remove(JsonNode parent, String last, String path) {
    if (parent instanceof ObjectNode object && object.has(last)) {
      object.remove(last);
    } else if (parent instanceof ArrayNode array) {
      array.remove(index(last, array.size(), path));
    } else {
      throw ApiException.badRequest("nothing to remove at " + path);
    }
  }

  private static int index(String token, int bound, String path) {
    try {
      int i = Integer.parseInt(token);
      if (i < 0 || i >= bound) {
        throw ApiException.badRequest("index out of range at " + path);
      }
      return i;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("not an array index at " + path);
    }
  }
}
