package io.vigil.cli.region;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.process.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Backups and restores through a backup-service's API. The service answers within {@code
 * vigil.backup.request-wait}: 201 with the outcome, or 202 when the work goes on; a 202 is followed
 * here (the status for a backup, {@code /restores/{id}} for a restore) until it ends, so callers
 * see 201 or an error either way.
 */
public final class BackupCalls {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofSeconds(1);

  private BackupCalls() {}

  /** Backs {@code target} up now; 201 with the new recovery point, or the failure. */
  public static Http.Response backup(Http operator, String base, String target, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Http.Response r = operator.post(base + "/backups/" + target, "", timeout);
    if (r.status() != 202) {
      return r;
    }
    String id = json(r.body()).path("id").asText();
    while (System.nanoTime() < deadline) {
      pause();
      JsonNode last =
          json(operator.read(base + "/backups/status").body()).path("last").path(target);
      if (last.path("id").asText().equals(id)) {
        if (!last.path("succeeded").asBoolean()) {
          return new Http.Response(500, last.toString());
        }
        for (JsonNode point :
            json(operator.read(base + "/backups", timeout).body())
                .path("recovery_points")
                .path(target)) {
          if (point.path("id").asText().equals(id)) {
            return new Http.Response(201, point.toString());
          }
        }
      }
    }
    return new Http.Response(504, "backup " + id + " did not end within " + timeout);
  }

  /** Restores as {@code body} asks; 201 with what was restored, or the failure. */
  public static Http.Response restore(Http operator, String base, String body, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Http.Response r = operator.post(base + "/restores", body, timeout);
    if (r.status() != 202) {
      return r;
    }
    String id = json(r.body()).path("id").asText();
    while (System.nanoTime() < deadline) {
      pause();
      Http.Response job = operator.read(base + "/restores/" + id);
      String state = json(job.body()).path("state").asText();
      if (state.equals("done")) {
        return new Http.Response(201, job.body());
      }
      if (!state.equals("running")) {
        return new Http.Response(500, job.body());
      }
    }
    return new Http.Response(504, "restore " + id + " did not end within " + timeout);
  }

  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while following the backup-service", e);
    }
  }

  private static JsonNode json(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
