package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.commons.security.ApiKeys;
import io.vigil.commons.security.Operator;
import io.vigil.monitoring.repository.TenantRepository;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;

/**
 * The operator API (operator key only): service instances, each the tenant and data mart of the v2
 * API, and their API keys. A key is shown once, when it is created.
 */
@Operator
@Path("/admin/v1/service_instances")
@Produces(MediaType.APPLICATION_JSON)
public class OperatorResource {

  private final TenantRepository tenants;

  OperatorResource(TenantRepository tenants) {
    this.tenants = tenants;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> create(String body) {
    JsonNode json = Json.object(body);
    String name = Json.optionalText(json, "name", "service instance");
    String id = UUID.randomUUID().toString();
    String key = ApiKeys.generate();
    return tenants
        .create(id, name, ApiKeys.hash(key), "initial")
        .map(
            instance -> {
              ObjectNode out = JsonNodeFactory.instance.objectNode();
              out.put("id", instance.id());
              out.put("name", instance.name());
              out.put("created_at", instance.createdAt());
              out.put("api_key", key);
              return Response.status(201).entity(out).build();
            });
  }

  @GET
  public Uni<ObjectNode> list() {
    return tenants
        .list()
        .map(
            all -> {
              ObjectNode out = JsonNodeFactory.instance.objectNode();
              var array = out.putArray("service_instances");
              all.forEach(
                  i ->
                      array
                          .addObject()
                          .put("id", i.id())
                          .put("name", i.name())
                          .put("created_at", i.createdAt()));
              return out;
            });
  }

  @POST
  @Path("/{id}/api_keys")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> addKey(@PathParam("id") String id, String body) {
    JsonNode json = Json.object(body == null || body.isBlank() ? "{}" : body);
    String name =
        Json.optionalText(json, "name", "key-" + UUID.randomUUID().toString().substring(0, 8));
    String key = ApiKeys.generate();
    return tenants
        .addKey(id, ApiKeys.hash(key), name)
        .map(
            added -> {
              if (!added) {
                throw ApiException.notFound("service instance", id);
              }
              ObjectNode out = JsonNodeFactory.instance.objectNode();
              out.put("service_instance_id", id);
              out.put("name", name);
              out.put("api_key", key);
              return Response.status(201).entity(out).build();
            });
  }

  @DELETE
  @Path("/{id}")
  public Uni<Response> delete(@PathParam("id") String id) {
    return tenants
        .delete(id)
        .map(
            deleted -> {
              if (!deleted) {
                throw ApiException.notFound("service instance", id);
              }
              return Response.noContent().build();
            });
  }
}
