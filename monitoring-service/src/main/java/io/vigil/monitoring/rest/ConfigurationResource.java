package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.service.ResourceService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration resources of the v2 API under {@code /openscale/{service_instance_id}/v2}: data
 * marts, service providers, subscriptions, data sets, monitor definitions, monitor instances and
 * integrated systems, each with list (filtered), create, get, patch (JSON Patch) and delete.
 */
@Path(
    "/openscale/{instance}/v2/{kind: data_marts|service_providers|subscriptions|data_sets|monitor_definitions|monitor_instances|integrated_systems}")
@Produces(MediaType.APPLICATION_JSON)
public class ConfigurationResource {

  private final ResourceService service;
  private final Caller caller;

  ConfigurationResource(ResourceService service, Caller caller) {
    this.service = service;
    this.caller = caller;
  }

  @GET
  public Uni<Map<String, List<Envelope<ObjectNode>>>> list(
      @PathParam("kind") String kind, @Context UriInfo uri) {
    ResourceKind k = ResourceKind.ofPath(kind);
    Map<String, String> filters = new HashMap<>();
    uri.getQueryParameters().forEach((name, values) -> filters.put(name, values.get(0)));
    return service
        .list(caller.tenant(), k, filters)
        .map(all -> Map.of(k.path(), all.stream().map(StoredResource::toApi).toList()));
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> create(@PathParam("kind") String kind, String body) {
    return service
        .create(caller.tenant(), ResourceKind.ofPath(kind), Json.object(body))
        .map(
            r ->
                Response.status(201)
                    .entity(r.toApi())
                    .header("Location", "/openscale/" + r.tenant() + "/v2/" + kind + "/" + r.id())
                    .build());
  }

  @GET
  @Path("/{id}")
  public Uni<Envelope<ObjectNode>> get(@PathParam("kind") String kind, @PathParam("id") String id) {
    return service.get(caller.tenant(), ResourceKind.ofPath(kind), id).map(StoredResource::toApi);
  }

  @PATCH
  @Path("/{id}")
  @Consumes({MediaType.APPLICATION_JSON, "application/json-patch+json"})
  public Uni<Envelope<ObjectNode>> patch(
      @PathParam("kind") String kind, @PathParam("id") String id, String body) {
    return service
        .patch(caller.tenant(), ResourceKind.ofPath(kind), id, Json.parse(body))
        .map(StoredResource::toApi);
  }

  @PUT
  @Path("/{id}")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Envelope<ObjectNode>> put(
      @PathParam("kind") String kind, @PathParam("id") String id, String body) {
    return service
        .put(caller.tenant(), ResourceKind.ofPath(kind), id, Json.object(body))
        .map(StoredResource::toApi);
  }

  @DELETE
  @Path("/{id}")
  public Uni<Response> delete(@PathParam("kind") String kind, @PathParam("id") String id) {
    return service
        .delete(caller.tenant(), ResourceKind.ofPath(kind), id)
        .replaceWith(Response.noContent().build());
  }
}
