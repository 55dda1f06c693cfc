package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.RunEntity;
import io.vigil.monitoring.repository.MeasurementRepository;
import io.vigil.monitoring.repository.RunRepository;
import io.vigil.monitoring.service.MetricAggregation;
import io.vigil.monitoring.service.RunService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/** Runs, measurements and metrics of one monitor instance. */
@Path("/openscale/{instance}/v2/monitor_instances/{monitor}")
@Produces(MediaType.APPLICATION_JSON)
public class MonitorRunResource {

  private final RunService runs;
  private final Caller caller;

  MonitorRunResource(RunService runs, Caller caller) {
    this.runs = runs;
    this.caller = caller;
  }

  @POST
  @Path("/runs")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> queueRun(@PathParam("monitor") String monitor, String body) {
    return runs.queue(
            caller.tenant(), monitor, body == null || body.isBlank() ? null : Json.object(body))
        .map(r -> Response.status(201).entity(r.toApi()).build());
  }

  @GET
  @Path("/runs")
  public Uni<Map<String, List<Envelope<RunEntity>>>> runs(
      @PathParam("monitor") String monitor, @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiException.badRequest("'limit' must be between 1 and 1000");
    }
    return runs.list(caller.tenant(), monitor, limit)
        .map(all -> Map.of("runs", all.stream().map(RunRepository.Run::toApi).toList()));
  }

  @GET
  @Path("/runs/{run}")
  public Uni<Envelope<RunEntity>> getRun(
      @PathParam("monitor") String monitor, @PathParam("run") String run) {
    return runs.get(caller.tenant(), monitor, run).map(RunRepository.Run::toApi);
  }

  /** A client ends (or reports on) a run it computes: JSON Patch of the run's status. */
  @jakarta.ws.rs.PATCH
  @Path("/runs/{run}")
  @Consumes({MediaType.APPLICATION_JSON, "application/json-patch+json"})
  public Uni<Envelope<RunEntity>> patchRun(
      @PathParam("monitor") String monitor, @PathParam("run") String run, String body) {
    return runs.patch(caller.tenant(), monitor, run, Json.parse(body))
        .map(RunRepository.Run::toApi);
  }

  @POST
  @Path("/measurements")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> post(@PathParam("monitor") String monitor, String body) {
    return runs.post(caller.tenant(), monitor, Json.parse(body))
        .map(
            stored ->
                Response.status(202)
                    .entity(stored.stream().map(MeasurementRepository.Measurement::toApi).toList())
                    .build());
  }

  @GET
  @Path("/measurements")
  public Uni<Map<String, List<Envelope<ObjectNode>>>> measurements(
      @PathParam("monitor") String monitor,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("run_id") String runId,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiException.badRequest("'limit' must be between 1 and 1000");
    }
    return runs.measurements(caller.tenant(), monitor, start, end, runId, limit)
        .map(MonitorRunResource::list);
  }

  @GET
  @Path("/measurements/{measurement}")
  public Uni<Envelope<ObjectNode>> measurement(
      @PathParam("monitor") String monitor, @PathParam("measurement") String measurement) {
    return runs.measurement(caller.tenant(), monitor, measurement)
        .map(MeasurementRepository.Measurement::toApi);
  }

  @GET
  @Path("/metrics")
  public Uni<ObjectNode> metrics(
      @PathParam("monitor") String monitor,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("agg") List<String> agg,
      @QueryParam("interval") @DefaultValue("hour") String interval) {
    var aggregations = MetricAggregation.aggregations(agg);
    return runs.measurements(caller.tenant(), monitor, start, end, null, 1000)
        .map(all -> MetricAggregation.aggregate(all, aggregations, interval, start, end));
  }

  static Map<String, List<Envelope<ObjectNode>>> list(List<MeasurementRepository.Measurement> all) {
    return Map.of(
        "measurements", all.stream().map(MeasurementRepository.Measurement::toApi).toList());
  }
}
