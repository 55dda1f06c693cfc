package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.service.RunService;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;

/** {@code GET /v2/measurements}: the latest measurements of every monitor instance of a target. */
@Path("/openscale/{instance}/v2/measurements")
@Produces(MediaType.APPLICATION_JSON)
public class MeasurementResource {

  private final RunService runs;
  private final Caller caller;

  MeasurementResource(RunService runs, Caller caller) {
    this.runs = runs;
    this.caller = caller;
  }

  @GET
  public Uni<Map<String, List<Envelope<ObjectNode>>>> latest(
      @QueryParam("target_id") String targetId,
      @QueryParam("target_type") String targetType,
      @QueryParam("monitor_definition_id") String definition,
      @QueryParam("recent_count") @DefaultValue("1") int recent) {
    if (recent < 1 || recent > 100) {
      throw ApiException.badRequest("'recent_count' must be between 1 and 100");
    }
    return runs.latest(caller.tenant(), targetId, targetType, definition, recent)
        .map(MonitorRunResource::list);
  }
}
