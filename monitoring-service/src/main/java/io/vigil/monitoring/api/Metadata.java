package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A v2 answer's {@code metadata}: what the server says of a resource.
 *
 * @param id its id
 * @param crn its cloud resource name (configuration resources)
 * @param url its path under {@code /v2}
 * @param createdAt ISO-8601, UTC
 * @param createdBy who created it
 * @param modifiedAt ISO-8601, UTC
 * @param modifiedBy who changed it last
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Metadata(
    String id,
    String crn,
    String url,
    @JsonProperty("created_at") String createdAt,
    @JsonProperty("created_by") String createdBy,
    @JsonProperty("modified_at") String modifiedAt,
    @JsonProperty("modified_by") String modifiedBy) {

  /** Metadata of what only has an id, a url and (maybe) a creation time. */
  public static Metadata of(String id, String url, String createdAt) {
    return new Metadata(id, null, url, createdAt, null, null, null);
  }
}
