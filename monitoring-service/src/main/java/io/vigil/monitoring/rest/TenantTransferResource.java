package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.service.TenantTransfer;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * A tenant's own backup: {@code GET /v2/export} streams everything as JSON lines; {@code POST
 * /v2/import} loads such a stream into an empty service instance (here or in another region).
 */
@Path("/openscale/{instance}/v2")
public class TenantTransferResource {

  static final String NDJSON = "application/x-ndjson";

  private final TenantTransfer transfer;
  private final Caller caller;

  TenantTransferResource(TenantTransfer transfer, Caller caller) {
    this.transfer = transfer;
    this.caller = caller;
  }

  @GET
  @Path("/export")
  @Produces(NDJSON)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  public Multi<ObjectNode> export() {
    return transfer.export(caller.tenant());
  }

  @POST
  @Path("/import")
  @Consumes({NDJSON, MediaType.APPLICATION_JSON})
  @Produces(MediaType.APPLICATION_JSON)
  public Uni<Response> importInto(String body) {
    return transfer
        .importInto(caller.tenant(), body)
        .map(
            imported -> {
              ObjectNode out = Json.MAPPER.createObjectNode();
              ObjectNode counts = out.putObject("imported");
              imported.counts().forEach(counts::put);
              return Response.status(201).entity(out).build();
            });
  }
}
