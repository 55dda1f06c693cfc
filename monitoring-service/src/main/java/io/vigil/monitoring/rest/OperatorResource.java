package io.vigil.monitoring.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.List;
import java.util.UUID;

/**
 * The operator API (operator key only): service instances, each the tenant and data mart of the v2
 * API, and their API keys. A key is shown once, when it is created.
 */
@Operator
@Path("/admin/v1/service_instances")
@Produces(MediaType.APPLICATION_JSON)
public class OperatorResource {

  /** A service instance as answered; its first API key only in the answer that creates it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record InstanceView(
      String id,
      String name,
      @JsonProperty("created_at") String createdAt,
      @JsonProperty("api_key") String apiKey) {

    static InstanceView of(TenantRepository.ServiceInstance i, String apiKey) {
      return new InstanceView(i.id(), i.name(), i.createdAt(), apiKey);
    }
  }

  /** Every service instance. */
  public record InstanceList(
      @JsonProperty("service_instances") List<InstanceView> serviceInstances) {}

  /** A key added to an instance (shown this once). */
  public record KeyView(
      @JsonProperty("service_instance_id") String serviceInstanceId,
      String name,
      @JsonProperty("api_key") String apiKey) {}

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
        .map(instance -> Response.status(201).entity(InstanceView.of(instance, key)).build());
  }

  @GET
  public Uni<InstanceList> list() {
    return tenants
        .list()
        .map(all -> new InstanceList(all.stream().map(i -> InstanceView.of(i, null)).toList()));
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
              return Response.status(201).entity(new KeyView(id, name, key)).build();
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
