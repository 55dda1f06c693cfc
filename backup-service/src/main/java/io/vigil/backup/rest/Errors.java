package io.vigil.backup.rest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;

/** Errors in the API's format: {@code {"trace": ..., "errors": [{"code", "message"}]}}. */
final class Errors {

  private Errors() {}

  /** The error body. */
  static ObjectNode body(String code, String message) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("trace", UUID.randomUUID().toString());
    body.putArray("errors").addObject().put("code", code).put("message", message);
    return body;
  }

  /** A JSON response with the error body. */
  static Response response(int status, String code, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(body(code, message))
        .build();
  }

  /** An exception that answers with the error. */
  static WebApplicationException exception(int status, String code, String message) {
    return new WebApplicationException(response(status, code, message));
  }
}
