package io.vigil.monitoring.rest;

import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.repository.StandbyDurability;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * With {@code vigil.monitoring.durability.standby-region}, holds back the answer to every
 * successful write of the API ({@code /openscale/...}, {@code /admin/...}) until {@link
 * StandbyDurability} says it is safe in the other region; when it is not in time, the answer
 * becomes 503 with Retry-After in the API's error format (the write is committed here; its retry
 * stores nothing twice).
 */
public class DurabilityFilter {

  private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

  private final StandbyDurability durability;

  DurabilityFilter(StandbyDurability durability) {
    this.durability = durability;
  }

  @ServerResponseFilter
  public Uni<Void> awaitStandbyRegion(
      ContainerRequestContext request, ContainerResponseContext response) {
    if (!durability.enabled()
        || !WRITES.contains(request.getMethod())
        || response.getStatus() / 100 != 2) {
      return Uni.createFrom().voidItem();
    }
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/openscale/") && !path.startsWith("/admin/")) {
      return Uni.createFrom().voidItem();
    }
    return durability
        .awaitCommitted()
        .onFailure()
        .recoverWithItem(
            failure -> {
              ApiException e =
                  failure instanceof ApiException a
                      ? a
                      : new ApiException(
                          503,
                          "database_unavailable",
                          "committed, but the database could not say how far its WAL is; retry ("
                              + failure.getMessage()
                              + ")");
              Response error = e.toResponse();
              response.setStatus(e.status());
              response.getHeaders().remove("Location");
              response.getHeaders().putSingle("Retry-After", "1");
              response.setEntity(
                  error.getEntity(),
                  new java.lang.annotation.Annotation[0],
                  MediaType.APPLICATION_JSON_TYPE);
              return null;
            });
  }
}
