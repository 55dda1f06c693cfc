package io.vigil.commons.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A request with a body must say what the body is: without {@code Content-Type} it gets 415 in the
 * API's error format rather than being read as whatever the endpoint takes (JAX-RS would treat a
 * missing type as matching any {@code @Consumes}).
 */
public class BodyContentType {

  @ServerRequestFilter
  public Response require(ContainerRequestContext request) {
    if (request.getMediaType() != null || !hasBody(request)) {
      return null;
    }
    return ApiError.response(
        415, "unsupported_media_type", "a request body needs a Content-Type (application/json)");
  }

  private static boolean hasBody(ContainerRequestContext request) {
    String length = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      return !length.trim().equals("0");
    }
    return request.getHeaderString("Transfer-Encoding") != null;
  }
}
