package io.vigil.commons.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The API's error body, the same in every service and for every status: {@code {"trace": "<id>",
 * "errors": [{"code", "message"}, ...]}} (OpenScale's error format). Built as a JSON tree, so no
 * reflection is needed to write it (native images).
 *
 * @param trace an id of this answer, to find it in logs
 * @param errors at least one error: a machine-readable code and a message for a person
 */
public record ApiError(String trace, List<Item> errors) {

  /** One error of the body. */
  public record Item(String code, String message) {}

  /** A body with one error and a new trace id. */
  public static ApiError of(String code, String message) {
    return new ApiError(UUID.randomUUID().toString(), List.of(new Item(code, message)));
  }

  /** This body with one more error. */
  public ApiError with(String code, String message) {
    List<Item> more = new ArrayList<>(errors);
    more.add(new Item(code, message));
    return new ApiError(trace, List.copyOf(more));
  }

  /** The body as a JSON tree. */
  public ObjectNode json() {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("trace", trace);
    ArrayNode list = body.putArray("errors");
    errors.forEach(e -> list.addObject().put("code", e.code()).put("message", e.message()));
    return body;
  }

  /** The body as JSON text. */
  public String encode() {
    return json().toString();
  }

  /** A JSON response with this body. */
  public Response response(int status) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(json()).build();
  }

  /** A JSON response with one error. */
  public static Response response(int status, String code, String message) {
    return of(code, message).response(status);
  }
}
