package io.vigil.backup.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.backup.service.BackupService;
import io.vigil.backup.service.RestoreService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * {@code POST /restores}: prepares a recovery point from the repository in a directory — {@code
 * {"target": "postgres"|"etcd", "recovery_point": "<id>"|"latest", "time": "<instant>",
 * "directory": "/abs/path"}} (id or time, not both; neither = the newest).
 */
@Path("/restores")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RestoreResource {

  private final RestoreService restores;
  private final ObjectMapper json;

  RestoreResource(RestoreService restores, ObjectMapper json) {
    this.restores = restores;
    this.json = json;
  }

  @POST
  @Blocking
  public Response restore(JsonNode body) {
    try {
      if (body == null || !body.isObject()) {
        return Errors.response(400, "invalid_request", "the body must be a JSON object");
      }
      String target = body.path("target").asText("");
      if (!BackupService.TARGETS.contains(target)) {
        return Errors.response(
            400, "unknown_target", "target must be one of " + BackupService.TARGETS);
      }
      String directory = body.path("directory").asText("");
      if (directory.isEmpty()) {
        return Errors.response(400, "invalid_directory", "directory is required");
      }
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
        return Errors.response(
            400, "invalid_time", "time is not an ISO-8601 instant: " + body.get("time").asText());
      }
      if (id.isPresent() && time.isPresent()) {
        return Errors.response(400, "invalid_request", "give recovery_point or time, not both");
      }
      RecoveryPoint point = restores.choose(target, id, time);
      RestoreService.Restored done = restores.restore(point, java.nio.file.Path.of(directory));
      ObjectNode out = json.createObjectNode();
      out.set("recovery_point", json.valueToTree(point));
      out.put("path", done.path().toString());
      out.put("bytes", done.bytes());
      out.put("seconds", done.seconds());
      return Response.status(201).entity(out).build();
    } catch (RestoreService.RestoreException e) {
      return Errors.response(e.status(), e.code(), e.getMessage());
    } catch (Exception e) {
      return Errors.response(500, "restore_failed", "restore failed: " + e.getMessage());
    }
  }
}
