package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
  public ObjectNode toJson() {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ObjectNode metadata = out.putObject("metadata");
    metadata.put("id", id);
    metadata.put("crn", "crn:v1:vigil:local:openscale:" + tenant + ":" + kind.path() + ":" + id);
    metadata.put("url", "/v2/" + kind.path() + "/" + id);
    metadata.put("created_at", createdAt);
    metadata.put("created_by", createdBy);
    metadata.put("modified_at", modifiedAt);
    metadata.put("modified_by", modifiedBy);
    if (kind.hasStatus()) {
      ObjectNode e = entity.deepCopy();
      e.putObject("status").put("state", "active");
      if (kind == ResourceKind.DATA_SETS && !e.has("data_schema")) {
        // IBM's SDK requires a schema on every data set; one stored before schemas has none
        ObjectNode schema = e.putObject("data_schema").put("type", "struct");
        schema.putArray("fields");
      }
      out.set("entity", e);
    } else {
      out.set("entity", entity);
    }
    return out;
  }
}
