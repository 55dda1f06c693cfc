package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.Metadata;

/**
 * A configuration resource as stored.
 *
 * @param tenant owning service instance
 * @param kind resource kind
 * @param id resource id
 * @param entity the resource's entity document
 * @param createdAt ISO-8601 creation time
 * @param createdBy who created it
 * @param modifiedAt ISO-8601 time of the last change
 * @param modifiedBy who changed it last
 */
public record StoredResource(
    String tenant,
    ResourceKind kind,
    String id,
    ObjectNode entity,
    String createdAt,
    String createdBy,
    String modifiedAt,
    String modifiedBy) {

  /** The API's {@code {metadata, entity}} envelope. */
  public Envelope<ObjectNode> toApi() {
    Metadata metadata =
        new Metadata(
            id,
            "crn:v1:vigil:local:openscale:" + tenant + ":" + kind.path() + ":" + id,
            "/v2/" + kind.path() + "/" + id,
            createdAt,
            createdBy,
            modifiedAt,
            modifiedBy);
    if (!kind.hasStatus()) {
      return new Envelope<>(metadata, entity);
    }
    ObjectNode e = entity.deepCopy();
    e.putObject("status").put("state", "active");
    if (kind == ResourceKind.DATA_SETS && !e.has("data_schema")) {
      // IBM's SDK requires a schema on every data set; one stored before schemas has none
      ObjectNode schema = e.putObject("data_schema").put("type", "struct");
      schema.putArray("fields");
    }
    return new Envelope<>(metadata, e);
  }
}
