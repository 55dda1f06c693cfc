package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A notification to an integrated system: what it is about, its delivery and the body as sent.
 *
 * @param integratedSystemId where it goes
 * @param monitorInstanceId the monitor whose measurement it reports
 * @param measurementId the measurement
 * @param runId the run that measured (when a run did)
 * @param type breach or recovery
 * @param status its delivery
 * @param body what is (or was) sent
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NotificationEntity(
    @JsonProperty("integrated_system_id") String integratedSystemId,
    @JsonProperty("monitor_instance_id") String monitorInstanceId,
    @JsonProperty("measurement_id") String measurementId,
    @JsonProperty("run_id") String runId,
    String type,
    Delivery status,
    JsonNode body) {

  /**
   * A notification's delivery; what has not happened is left out.
   *
   * @param state pending, delivered or failed
   * @param attempts how many sends were tried
   * @param lastAttemptAt when the last was
   * @param lastStatusCode the receiver's last HTTP status
   * @param lastError the last failure
   * @param deliveredAt when it was delivered
   * @param nextAttemptAt when it is tried next (pending only)
   */
  @RegisterForReflection
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Delivery(
      String state,
      int attempts,
      @JsonProperty("last_attempt_at") String lastAttemptAt,
      @JsonProperty("last_status_code") Integer lastStatusCode,
      @JsonProperty("last_error") String lastError,
      @JsonProperty("delivered_at") String deliveredAt,
      @JsonProperty("next_attempt_at") String nextAttemptAt) {}
}
