package io.vigil.monitoring.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Configuration resources of every kind in one table, each an entity document; every method takes
 * the client so callers can join it to a transaction.
 */
@ApplicationScoped
public class ResourceRepository {

  private static final String COLUMNS =
      "id, entity::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
          + " created_by, to_char(modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
          + " modified_by";

  private final ObjectMapper json = new ObjectMapper();

  /** Inserts a resource. */
  public Uni<StoredResource> insert(
      SqlClient c, String tenant, ResourceKind kind, String id, ObjectNode entity, String who) {
    return c.preparedQuery(
            "INSERT INTO resources (service_instance_id, kind, id, entity, created_at, created_by,"
                + " modified_at, modified_by) VALUES ($1, $2, $3, $4::text::jsonb, now(), $5, now(), $5)"
                + " RETURNING "
                + COLUMNS)
        .execute(Tuple.of(tenant, kind.path(), id, write(entity), who))
        .map(rows -> read(tenant, kind, rows.iterator().next()));
  }

  /** Replaces a resource's entity; answers null when it does not exist. */
  public Uni<StoredResource> update(
      SqlClient c, String tenant, ResourceKind kind, String id, ObjectNode entity, String who) {
    return c.preparedQuery(
            "UPDATE resources SET entity = $4::text::jsonb, modified_at = now(), modified_by = $5"
                + " WHERE service_instance_id = $1 AND kind = $2 AND id = $3 RETURNING "
                + COLUMNS)
        .execute(Tuple.of(tenant, kind.path(), id, write(entity), who))
        .map(rows -> rows.size() == 0 ? null : read(tenant, kind, rows.iterator().next()));
  }

  /** One resource, or null. */
  public Uni<StoredResource> get(SqlClient c, String tenant, ResourceKind kind, String id) {
    return c.preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM resources WHERE service_instance_id = $1 AND kind = $2 AND id = $3")
        .execute(Tuple.of(tenant, kind.path(), id))
        .map(rows -> rows.size() == 0 ? null : read(tenant, kind, rows.iterator().next()));
  }

  /** Resources of a kind whose entity contains {@code filter}, oldest first. */
  public Uni<List<StoredResource>> list(
      SqlClient c, String tenant, ResourceKind kind, ObjectNode filter) {
    return c.preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM resources WHERE service_instance_id = $1 AND kind = $2"
                + " AND entity @> $3::text::jsonb ORDER BY created_at, id")
        .execute(Tuple.of(tenant, kind.path(), write(filter)))
        .map(
            rows -> {
              List<StoredResource> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(read(tenant, kind, r));
              }
              return out;
            });
  }

  /** Deletes a resource; answers whether it existed. */
  public Uni<Boolean> delete(SqlClient c, String tenant, ResourceKind kind, String id) {
    return c.preparedQuery(
            "DELETE FROM resources WHERE service_instance_id = $1 AND kind = $2 AND id = $3")
        .execute(Tuple.of(tenant, kind.path(), id))
        .map(rows -> rows.rowCount() == 1);
  }

  private String write(ObjectNode entity) {
    try {
      return json.writeValueAsString(entity);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private StoredResource read(String tenant, ResourceKind kind, Row r) {
    try {
      return new StoredResource(
          tenant,
          kind,
          r.getString(0),
          (ObjectNode) json.readTree(r.getString(1)),
          r.getString(2),
          r.getString(3),
          r.getString(4),
          r.getString(5));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored entity does not parse", e);
    }
  }

  /**
   * Deletes what targets a subscription: its data sets with their records, and its monitor
   * instances (in the caller's transaction).
   */
  public Uni<Void> deleteTargeting(SqlClient c, String tenant, String subscriptionId) {
    String target =
        "{\"target\":{\"target_type\":\"subscription\",\"target_id\":\""
            + subscriptionId.replace("\"", "")
            + "\"}}";
    return RecordRepository.deleteOf(
            c,
            "SELECT id FROM resources WHERE service_instance_id = $1 AND kind = 'data_sets'"
                + " AND entity @> $2::text::jsonb",
            Tuple.of(tenant, target))
        .chain(
            () ->
                c.preparedQuery(
                        "DELETE FROM resources WHERE service_instance_id = $1"
                            + " AND kind IN ('data_sets', 'monitor_instances') AND entity @> $2::text::jsonb")
                    .execute(Tuple.of(tenant, target)))
        .replaceWithVoid();
  }
}
