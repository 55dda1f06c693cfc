package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.commons.api.Times;
import io.vigil.monitoring.repository.MeasurementRepository;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.RunRepository;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.service.notify.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** Runs and measurements of monitor instances, as the API sees them. */
@ApplicationScoped
public class RunService {

  private final Pool pool;
  private final ResourceService resources;
  private final RunRepository runs;
  private final MeasurementRepository measurements;
  private final Outbox outbox;

  RunService(
      Pool pool,
      ResourceService resources,
      RunRepository runs,
      MeasurementRepository measurements,
      Outbox outbox) {
    this.outbox = outbox;
    this.pool = pool;
    this.resources = resources;
    this.runs = runs;
    this.measurements = measurements;
  }

  /** Queues a run of a monitor instance. */
  public Uni<RunRepository.Run> queue(ResourceService.Tenant t, String instance, JsonNode body) {
    String triggeredBy = body == null ? "user" : body.path("triggered_by").asText("user");
    if (!List.of("user", "scheduler", "webhook", "bkpi_manager").contains(triggeredBy)) {
      throw ApiException.badRequest(
          "'triggered_by' must be user, scheduler, webhook or bkpi_manager");
    }
    return resources
        .get(t, ResourceKind.MONITOR_INSTANCES, instance)
        .chain(mi -> runs.queue(pool, UUID.randomUUID().toString(), t.id(), instance, triggeredBy));
  }

  /** Runs of an instance, newest first. */
  public Uni<List<RunRepository.Run>> list(ResourceService.Tenant t, String instance, int limit) {
    return resources
        .get(t, ResourceKind.MONITOR_INSTANCES, instance)
        .chain(mi -> runs.list(t.id(), instance, limit));
  }

  /** One run. */
  public Uni<RunRepository.Run> get(ResourceService.Tenant t, String instance, String run) {
    return runs.get(t.id(), instance, run)
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("run", run));
  }

  private static final java.util.Set<String> CLIENT_STATES =
      java.util.Set.of("running", "finished", "error");

  /**
   * Applies a client's JSON Patch to a run it computes (a monitor computed outside Vigil, whose run
   * Vigil handed over): only {@code /status/state} ({@code running}, {@code finished}, {@code
   * error}), {@code /status/message} and {@code /status/failure} may change. A run Vigil computes
   * is 409.
   */
  public Uni<RunRepository.Run> patch(
      ResourceService.Tenant t, String instance, String runId, JsonNode patch) {
    return get(t, instance, runId)
        .chain(
            run -> {
              ObjectNode before = Json.MAPPER.valueToTree(run.toApi().entity());
              ObjectNode after = JsonPatch.apply(before, patch);
              ObjectNode status =
                  after.path("status").isObject()
                      ? (ObjectNode) after.get("status")
                      : Json.MAPPER.createObjectNode();
              ObjectNode beforeStatus = (ObjectNode) before.get("status");
              for (String fixed : List.of("queued_at", "started_at", "completed_at")) {
                if (!java.util.Objects.equals(status.get(fixed), beforeStatus.get(fixed))) {
                  throw ApiException.badRequest("'/status/" + fixed + "' is the server's");
                }
              }
              ObjectNode rest = after.deepCopy();
              rest.remove("status");
              ObjectNode restBefore = before.deepCopy();
              restBefore.remove("status");
              if (!rest.equals(restBefore)) {
                throw ApiException.badRequest(
                    "only /status/state, /status/message and /status/failure of a run may change");
              }
              String state = status.path("state").asText("");
              if (!CLIENT_STATES.contains(state)) {
                throw ApiException.badRequest("'/status/state' must be one of " + CLIENT_STATES);
              }
              JsonNode failure = status.get("failure");
              if (failure != null && !failure.isNull() && !failure.path("errors").isArray()) {
                throw ApiException.badRequest(
                    "'/status/failure' is an error body: {\"trace\", \"errors\": [{\"code\", \"message\"}]}");
              }
              JsonNode message = status.get("message");
              if (message != null && !message.isNull() && !message.isTextual()) {
                throw ApiException.badRequest("'/status/message' must be a string");
              }
              if (!RunRepository.EXTERNAL.equals(run.owner())) {
                throw ApiException.conflict(
                    "run "
                        + runId
                        + " is computed by Vigil; only a client-computed run can be patched");
              }
              return runs.clientUpdate(
                      t.id(),
                      instance,
                      runId,
                      state,
                      message == null || message.isNull() ? null : message.asText(),
                      failure == null || failure.isNull() ? null : failure.toString())
                  .onItem()
                  .ifNull()
                  .failWith(
                      () ->
                          ApiException.conflict(
                              "run "
                                  + runId
                                  + " is computed by Vigil; only a client-computed run can be patched"));
            });
  }

  /** Stores measurements posted by a client (a monitor computed outside Vigil). */
  public Uni<List<MeasurementRepository.Measurement>> post(
      ResourceService.Tenant t, String instance, JsonNode body) {
    if (!body.isArray() || body.isEmpty()) {
      throw ApiException.badRequest("the body must be a non-empty array of measurements");
    }
    return resources
        .get(t, ResourceKind.MONITOR_INSTANCES, instance)
        .chain(
            mi ->
                definition(t, mi)
                    .chain(
                        def -> {
                          List<ObjectNode> entities = new java.util.ArrayList<>();
                          for (int i = 0; i < body.size(); i++) {
                            entities.add(clientMeasurement(mi, def, body.get(i), i));
                          }
                          return pool.withTransaction(
                              c ->
                                  io.smallrye.mutiny.Multi.createFrom()
                                      .iterable(entities)
                                      .onItem()
                                      .transformToUniAndConcatenate(
                                          e -> {
                                            String id = UUID.randomUUID().toString();
                                            return measurements
                                                .insert(
                                                    c,
                                                    t.id(),
                                                    id,
                                                    OffsetDateTime.parse(
                                                        e.path("timestamp").asText()),
                                                    e)
                                                .call(() -> outbox.measured(c, t.id(), id, e))
                                                .replaceWith(
                                                    new MeasurementRepository.Measurement(id, e));
                                          })
                                      .collect()
                                      .asList());
                        }));
  }

  private ObjectNode clientMeasurement(
      StoredResource mi, ObjectNode definition, JsonNode m, int i) {
    if (!m.isObject()) {
      throw ApiException.badRequest("measurement " + i + " is not an object");
    }
    JsonNode values = m.get("values");
    if (values == null || !values.isArray() || values.isEmpty()) {
      throw ApiException.badRequest("measurement " + i + ": 'values' must be a non-empty array");
    }
    for (JsonNode block : values) {
      if (!block.path("metrics").isArray()) {
        throw ApiException.badRequest("measurement " + i + ": every value needs a 'metrics' array");
      }
      for (JsonNode metric : block.path("metrics")) {
        if (!metric.path("id").isTextual() || !metric.path("value").isNumber()) {
          throw ApiException.badRequest(
              "measurement " + i + ": every metric needs a string 'id' and a numeric 'value'");
        }
      }
    }
    String ts = m.path("timestamp").asText(Instant.now().toString());
    ts = Times.parse("measurement " + i + ": timestamp", ts).toString();
    ArrayNode copy = values.deepCopy();
    return entity(
        mi,
        definition,
        m.path("run_id").isTextual() ? m.path("run_id").asText() : null,
        ts,
        copy,
        m.has("sources") ? m.get("sources").deepCopy() : Json.MAPPER.createArrayNode());
  }

  /** A measurement entity with its limits set and issues counted. */
  static ObjectNode entity(
      StoredResource mi,
      ObjectNode definition,
      String runId,
      String timestamp,
      ArrayNode values,
      JsonNode sources) {
    ObjectNode e = Json.MAPPER.createObjectNode();
    e.put("timestamp", timestamp);
    e.put("run_id", runId);
    e.put("monitor_instance_id", mi.id());
    e.put("monitor_definition_id", mi.entity().path("monitor_definition_id").asText());
    e.set("target", mi.entity().path("target").deepCopy());
    e.put("issue_count", Thresholds.apply(values, mi.entity().path("thresholds"), definition));
    e.set("values", values);
    e.set("sources", sources);
    return e;
  }

  /** The monitor definition of an instance (built-in or custom). */
  Uni<ObjectNode> definition(ResourceService.Tenant t, StoredResource mi) {
    return resources
        .get(
            t, ResourceKind.MONITOR_DEFINITIONS, mi.entity().path("monitor_definition_id").asText())
        .map(StoredResource::entity);
  }

  /** Measurements of an instance. */
  public Uni<List<MeasurementRepository.Measurement>> measurements(
      ResourceService.Tenant t,
      String instance,
      String start,
      String end,
      String runId,
      int limit) {
    return resources
        .get(t, ResourceKind.MONITOR_INSTANCES, instance)
        .chain(
            mi ->
                measurements.list(
                    t.id(), instance, time("start", start), time("end", end), runId, limit));
  }

  /** One measurement of an instance; 404 when the instance or the measurement is not there. */
  public Uni<MeasurementRepository.Measurement> measurement(
      ResourceService.Tenant t, String instance, String id) {
    return resources
        .get(t, ResourceKind.MONITOR_INSTANCES, instance)
        .chain(mi -> measurements.get(t.id(), instance, id))
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("measurement", id));
  }

  /** Latest measurements per monitor instance. */
  public Uni<List<MeasurementRepository.Measurement>> latest(
      ResourceService.Tenant t, String targetId, String targetType, String definition, int recent) {
    return measurements.latest(t.id(), targetId, targetType, definition, recent);
  }

  static OffsetDateTime time(String name, String value) {
    if (value == null) {
      return null;
    }
    return Times.parse(name, value);
  }
}
