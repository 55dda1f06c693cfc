package io.vigil.backup.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.service.BackupService;
import io.vigil.backup.service.RestoreService;
import io.vigil.commons.api.ApiError;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.security.Operator;
import io.vigil.commons.topology.RegionConfig;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /restores}: prepares a recovery point from the repository in a directory — {@code
 * {"target": "postgres"|"etcd", "recovery_point": "<id>"|"latest", "time": "<instant>",
 * "directory": "/abs/path", "source_region": "<region>"}} (id or time, not both; neither = the
 * newest state; a backup id restores that backup as it was taken, {@code latest} or a time replay
 * the archived WAL after it; the source region defaults to this one, another one's copies in this
 * repository restore a lost region here). A restore that takes longer than {@code
 * vigil.backup.request-wait} is answered 202 with {@code Location: /restores/{id}}, where {@code
 * GET} shows it running, then its outcome.
 */
@Operator
@Path("/restores")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RestoreResource {

  /** Restores started here, newest last; finished ones are kept for an hour. */
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  private final ExecutorService workers =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "restore");
            t.setDaemon(true);
            return t;
          });

  private final RestoreService restores;
  private final ObjectMapper json;
  private final BackupConfig config;

  private final RegionConfig region;

  /** One restore: when it started and its outcome (an answer body, or the failure). */
  private record Job(Instant startedAt, CompletableFuture<ObjectNode> outcome) {}

  RestoreResource(
      RestoreService restores, RegionConfig region, ObjectMapper json, BackupConfig config) {
    this.config = config;
    this.restores = restores;
    this.region = region;
    this.json = json;
  }

  @POST
  @Blocking
  public Response restore(JsonNode body) {
    try {
      if (body == null || !body.isObject()) {
        return ApiError.response(400, "invalid_request", "the body must be a JSON object");
      }
      String target = body.path("target").asText("");
      if (!BackupService.TARGETS.contains(target)) {
        return ApiError.response(
            400, "unknown_target", "target must be one of " + BackupService.TARGETS);
      }
      String requested = body.path("directory").asText("");
      if (requested.isEmpty() || requested.indexOf('\0') >= 0) {
        return ApiError.response(400, "invalid_directory", "directory is required");
      }
      java.nio.file.Path directory = restores.requestedDirectory(requested);
      Optional<String> id =
          body.hasNonNull("recovery_point")
              ? Optional.of(body.get("recovery_point").asText())
              : Optional.empty();
      Optional<Instant> time;
      try {
        time =
            body.hasNonNull("time")
                ? Optional.of(Instant.parse(body.get("time").asText()))
                : Optional.empty();
      } catch (DateTimeParseException e) {
        return ApiError.response(
            400, "invalid_time", "time is not an ISO-8601 instant: " + body.get("time").asText());
      }
      if (id.isPresent() && time.isPresent()) {
        return ApiError.response(400, "invalid_request", "give recovery_point or time, not both");
      }
      String from = body.path("source_region").asText(region.name());
      if (!from.matches("[a-z0-9][a-z0-9-]{0,62}")) {
        return ApiError.response(
            400, "invalid_region", "source_region is not a region name: " + from);
      }
      RestoreService.Plan plan = restores.choose(from, target, id, time);
      String jobId = UUID.randomUUID().toString();
      CompletableFuture<ObjectNode> outcome =
          CompletableFuture.supplyAsync(() -> run(plan, directory, from), workers);
      forgetOld();
      jobs.put(jobId, new Job(Instant.now(), outcome));
      try {
        ObjectNode out = outcome.get(config.requestWait().toMillis(), TimeUnit.MILLISECONDS);
        return Response.status(201).entity(out.put("id", jobId)).build();
      } catch (TimeoutException e) {
        ObjectNode running = json.createObjectNode().put("id", jobId).put("state", "running");
        return Response.accepted(running).header("Location", "/restores/" + jobId).build();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    } catch (ApiException e) {
      return e.toResponse();
    } catch (Exception e) {
      return ApiError.response(500, "restore_failed", "restore failed: " + e.getMessage());
    }
  }

  /** A restore started here: running, or its outcome. */
  @GET
  @Path("/{id}")
  public Response job(@PathParam("id") String id) {
    Job job = jobs.get(id);
    if (job == null) {
      return ApiError.response(404, "not_found", "restore '" + id + "' is not known here");
    }
    if (!job.outcome().isDone()) {
      return Response.ok(
              json.createObjectNode()
                  .put("id", id)
                  .put("state", "running")
                  .put("started_at", job.startedAt().toString()))
          .build();
    }
    try {
      return Response.ok(job.outcome().join().deepCopy().put("id", id).put("state", "done"))
          .build();
    } catch (java.util.concurrent.CompletionException e) {
      ObjectNode failed = json.createObjectNode().put("id", id).put("state", "failed");
      failed.set(
          "failure",
          ApiError.of("restore_failed", String.valueOf(e.getCause().getMessage())).json());
      return Response.ok(failed).build();
    }
  }

  private void forgetOld() {
    Instant cutoff = Instant.now().minus(Duration.ofHours(1));
    jobs.values().removeIf(j -> j.outcome().isDone() && j.startedAt().isBefore(cutoff));
  }

  private ObjectNode run(RestoreService.Plan plan, java.nio.file.Path directory, String from) {
    RestoreService.Restored done;
    try {
      done = restores.restore(plan, directory);
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
    ObjectNode out = json.createObjectNode();
    out.put("source_region", from);
    out.set("recovery_point", json.valueToTree(plan.point()));
    out.put("recovery_target", done.recoveryTarget());
    out.put("wal_segments", done.walSegments());
    out.put("path", done.path().toString());
    out.put("bytes", done.bytes());
    out.put("seconds", done.seconds());
    return out;
  }
}
