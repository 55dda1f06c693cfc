package io.vigil.monitoring.rest;

import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiError;
import io.vigil.commons.security.ApiKeys;
import io.vigil.commons.security.OperatorFilter;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.TenantRepository;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every call: {@code /openscale/{service_instance_id}/...} takes an API key of that
 * instance (401 without a valid key, 403 with another instance's key); {@code /admin/...} is {@link
 * io.vigil.commons.security.Operator} and authenticated by its filter. Also refuses bodies over the
 * configured size with 413.
 */
public class AuthenticationFilter {

  private final TenantRepository tenants;
  private final MonitoringConfig config;
  private final Caller caller;

  AuthenticationFilter(TenantRepository tenants, MonitoringConfig config, Caller caller) {
    this.tenants = tenants;
    this.config = config;
    this.caller = caller;
  }

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    List<String> segments =
        request.getUriInfo().getPathSegments().stream().map(s -> s.getPath()).toList();
    if (segments.isEmpty()) {
      return Uni.createFrom().nullItem();
    }
    String first = segments.get(0);
    if (!first.equals("openscale") && !first.equals("admin")) {
      return Uni.createFrom().nullItem();
    }
    Response tooLarge = checkSize(request);
    if (tooLarge != null) {
      return Uni.createFrom().item(tooLarge);
    }
    if (first.equals("admin")) {
      caller.set(null, "operator"); // authenticated by commons' OperatorFilter (@Operator)
      return Uni.createFrom().nullItem();
    }
    String key = OperatorFilter.bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
    if (key == null) {
      return Uni.createFrom()
          .item(ApiError.response(401, "unauthorized", "send Authorization: Bearer <api key>"));
    }
    if (segments.size() < 2) {
      return Uni.createFrom().nullItem();
    }
    String instance = segments.get(1);
    return owner(key)
        .map(
            owner -> {
              if (owner == null) {
                return ApiError.response(401, "unauthorized", "the API key is not valid");
              }
              if (!owner.serviceInstanceId().equals(instance)) {
                return ApiError.response(
                    403,
                    "forbidden",
                    "the API key does not belong to service instance " + instance);
              }
              caller.set(owner.serviceInstanceId(), owner.keyName());
              return null;
            });
  }

  private Response checkSize(ContainerRequestContext request) {
    String length = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return null;
    }
    try {
      if (Long.parseLong(length.trim()) > config.maxBodySize().asLongValue()) {
        return ApiError.response(
            413,
            "payload_too_large",
            "the body has "
                + length.trim()
                + " bytes; the API takes at most "
                + config.maxBodySize().asLongValue());
      }
      return null;
    } catch (NumberFormatException e) {
      return ApiError.response(400, "invalid_request", "Content-Length is not a number");
    }
  }

  /**
   * The key's owner, read at every request (one primary-key lookup): a key deleted, or its service
   * instance deleted, is refused by every zone at once rather than after a cache's lifetime.
   */
  private Uni<TenantRepository.KeyOwner> owner(String key) {
    return tenants.owner(ApiKeys.hash(key));
  }
}
