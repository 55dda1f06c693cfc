package io.vigil.monitoring.rest;

import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.NotificationEntity;
import io.vigil.monitoring.repository.NotificationRepository;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v2/notifications}: what was sent to the tenant's integrated systems and how its
 * delivery stands ({@code pending}, {@code delivered}, {@code failed}), newest first.
 */
@Path("/openscale/{instance}/v2/notifications")
@Produces(MediaType.APPLICATION_JSON)
public class NotificationResource {

  private static final Set<String> STATES = Set.of("pending", "delivered", "failed");

  private final NotificationRepository notifications;
  private final Caller caller;

  NotificationResource(NotificationRepository notifications, Caller caller) {
    this.notifications = notifications;
    this.caller = caller;
  }

  @GET
  public Uni<Map<String, List<Envelope<NotificationEntity>>>> list(
      @QueryParam("integrated_system_id") String system,
      @QueryParam("monitor_instance_id") String monitor,
      @QueryParam("run_id") String run,
      @QueryParam("state") String state,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiException.badRequest("'limit' must be between 1 and 1000");
    }
    if (state != null && !STATES.contains(state)) {
      throw ApiException.badRequest("'state' must be one of " + STATES);
    }
    return notifications
        .list(caller.serviceInstanceId(), system, monitor, run, state, limit)
        .map(
            all ->
                Map.of(
                    "notifications",
                    all.stream().map(NotificationRepository.Notification::toApi).toList()));
  }

  @GET
  @Path("/{id}")
  public Uni<Envelope<NotificationEntity>> get(@PathParam("id") String id) {
    return notifications
        .get(caller.serviceInstanceId(), id)
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("notification", id))
        .map(NotificationRepository.Notification::toApi);
  }
}
