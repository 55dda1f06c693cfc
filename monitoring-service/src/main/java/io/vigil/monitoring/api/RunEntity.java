package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A monitor run's entity.
 *
 * @param triggeredBy {@code user}, {@code scheduler}, ...
 * @param status where the run is
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunEntity(@JsonProperty("triggered_by") String triggeredBy, Status status) {

  /**
   * A run's status; times it has not reached yet are left out.
   *
   * @param state queued, running, finished, error
   * @param queuedAt when it was queued
   * @param startedAt when an instance took it
   * @param completedAt when it ended
   * @param message what the monitor or the client said
   * @param failure a full error response ({@code trace}, {@code errors}) when it failed
   */
  @RegisterForReflection
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Status(
      String state,
      @JsonProperty("queued_at") String queuedAt,
      @JsonProperty("started_at") String startedAt,
      @JsonProperty("completed_at") String completedAt,
      String message,
      JsonNode failure) {}
}
