package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The answer to a store of records and to {@code GET data_sets/{id}/requests/{id}}: IBM's SDK
 * parses it as a {@code Status}, so {@code state} is at the top as well as in the entity.
 *
 * @param state active (stored) or another store request state
 * @param metadata the store request's id and time
 * @param entity its progress
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoreStatus(String state, Metadata metadata, Progress entity) {

  /** A store request's answer. */
  public static StoreStatus of(
      String state, String requestId, String createdAt, int received, int stored) {
    return new StoreStatus(
        state, Metadata.of(requestId, null, createdAt), new Progress(state, received, stored));
  }

  /**
   * How far a store request got.
   *
   * @param state as at the top
   * @param received records in the request
   * @param stored records stored by it (a retried record already stored is not stored twice)
   */
  @RegisterForReflection
  public record Progress(
      String state,
      @JsonProperty("records_received") int received,
      @JsonProperty("records_stored") int stored) {}
}
