package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.Metadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** Measurements of monitor instances, each an entity document with its time and issue count. */
@ApplicationScoped
public class MeasurementRepository {

  /** A stored measurement: id and {@code entity}. */
  public record Measurement(String id, ObjectNode entity) {

    /** The API's envelope. */
    public Envelope<ObjectNode> toApi() {
      return new Envelope<>(
          Metadata.of(
              id,
              "/v2/monitor_instances/"
                  + entity.path("monitor_instance_id").asText()
                  + "/measurements/"
                  + id,
              null),
          entity);
    }
  }

  private final Pool pool;

  MeasurementRepository(Pool pool) {
    this.pool = pool;
  }

  /** Inserts a measurement. */
  public Uni<Void> insert(
      SqlClient c, String tenant, String id, OffsetDateTime ts, ObjectNode entity) {
    return c.preparedQuery(
            "INSERT INTO measurements (id, service_instance_id, monitor_instance_id, monitor_definition_id,"
                + " target_type, target_id, run_id, ts, issue_count, entity)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)")
        .execute(
            Tuple.tuple(
                java.util.Arrays.asList(
                    id,
                    tenant,
                    entity.path("monitor_instance_id").asText(),
                    entity.path("monitor_definition_id").asText(),
                    entity.path("target").path("target_type").asText(),
                    entity.path("target").path("target_id").asText(),
                    entity.path("run_id").isMissingNode() || entity.path("run_id").isNull()
                        ? null
                        : entity.path("run_id").asText(),
                    ts,
                    entity.path("issue_count").asInt(),
                    entity.toString())))
        .replaceWithVoid();
  }

  /** Measurements of an instance in a window, newest first. */
  public Uni<List<Measurement>> list(
      String tenant,
      String instance,
      OffsetDateTime start,
      OffsetDateTime end,
      String runId,
      int limit) {
    return pool.preparedQuery(
            "SELECT id, entity::text FROM measurements WHERE service_instance_id = $1 AND monitor_instance_id = $2"
                + " AND ($3::timestamptz IS NULL OR ts >= $3) AND ($4::timestamptz IS NULL OR ts < $4)"
                + " AND ($5::text IS NULL OR run_id = $5) ORDER BY ts DESC, id LIMIT $6")
        .execute(Tuple.tuple(java.util.Arrays.asList(tenant, instance, start, end, runId, limit)))
        .map(MeasurementRepository::read);
  }

  /** One measurement of an instance, or null. */
  public Uni<Measurement> get(String tenant, String instance, String id) {
    return pool.preparedQuery(
            "SELECT id, entity::text FROM measurements WHERE service_instance_id = $1"
                + " AND monitor_instance_id = $2 AND id = $3")
        .execute(Tuple.of(tenant, instance, id))
        .map(MeasurementRepository::read)
        .map(found -> found.isEmpty() ? null : found.get(0));
  }

  /** The newest {@code recent} measurements of every monitor instance that matches. */
  public Uni<List<Measurement>> latest(
      String tenant, String targetId, String targetType, String definition, int recent) {
    return pool.preparedQuery(
            "SELECT id, entity FROM (SELECT id, entity::text AS entity, row_number() OVER"
                + " (PARTITION BY monitor_instance_id ORDER BY ts DESC, id) AS n FROM measurements"
                + " WHERE service_instance_id = $1 AND ($2::text IS NULL OR target_id = $2)"
                + " AND ($3::text IS NULL OR target_type = $3) AND ($4::text IS NULL OR monitor_definition_id = $4)) x"
                + " WHERE n <= $5 ORDER BY id")
        .execute(
            Tuple.tuple(java.util.Arrays.asList(tenant, targetId, targetType, definition, recent)))
        .map(MeasurementRepository::read);
  }

  private static List<Measurement> read(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    List<Measurement> out = new ArrayList<>();
    for (Row r : rows) {
      try {
        out.add(new Measurement(r.getString(0), (ObjectNode) Json.MAPPER.readTree(r.getString(1))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
