package io.vigil.commons.security;

import io.vigil.commons.api.ApiError;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every call of a resource marked {@link Operator}, in every service: {@code
 * Authorization: Bearer <key>} with the operator key, or for a {@code GET}/{@code HEAD} the
 * read-only key; otherwise 401 in the API's error format, before the resource runs. Keys are
 * compared in constant time.
 */
public class OperatorFilter {

  private final SecurityConfig config;

  OperatorFilter(SecurityConfig config) {
    this.config = config;
  }

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Response authenticate(ContainerRequestContext request, ResourceInfo resource) {
    if (!isOperatorOnly(resource)) {
      return null;
    }
    String key = bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
    if (key == null) {
      return ApiError.response(401, "unauthorized", "send Authorization: Bearer <operator key>");
    }
    if (matches(config.operatorKey(), key)) {
      return null;
    }
    boolean read =
        request.getMethod().equals(HttpMethod.GET) || request.getMethod().equals(HttpMethod.HEAD);
    if (matches(config.readerKey(), key)) {
      return read
          ? null
          : ApiError.response(
              403, "forbidden", "the read-only operator key cannot " + request.getMethod());
    }
    return ApiError.response(401, "unauthorized", "the operator key is not valid");
  }

  private static boolean isOperatorOnly(ResourceInfo resource) {
    return resource.getResourceMethod() != null
        && (resource.getResourceMethod().isAnnotationPresent(Operator.class)
            || resource.getResourceClass().isAnnotationPresent(Operator.class));
  }

  private static boolean matches(Optional<String> configured, String key) {
    return configured.filter(k -> !k.isBlank()).map(k -> ApiKeys.same(k, key)).orElse(false);
  }

  /** The key of an {@code Authorization: Bearer} header, or null. */
  public static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String key = header.substring(7).trim();
    return key.isEmpty() ? null : key;
  }
}
