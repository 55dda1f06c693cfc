package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.Metadata;
import io.vigil.monitoring.api.RunEntity;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Monitor runs as jobs in PostgreSQL: queued by the API or the schedule, claimed by any instance
 * with {@code FOR UPDATE SKIP LOCKED}, kept with a heartbeat, claimed again when it stops.
 */
@ApplicationScoped
public class RunRepository {

  private static final String TS = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
  private static final String COLUMNS =
      "id, service_instance_id, monitor_instance_id, triggered_by, status,"
          + " to_char(queued_at AT TIME ZONE 'UTC', "
          + TS
          + "),"
          + " to_char(started_at AT TIME ZONE 'UTC', "
          + TS
          + "),"
          + " to_char(completed_at AT TIME ZONE 'UTC', "
          + TS
          + "), failure::text, message, attempts, owner";

  /** A run. */
  public record Run(
      String id,
      String tenant,
      String monitorInstanceId,
      String triggeredBy,
      String status,
      String queuedAt,
      String startedAt,
      String completedAt,
      String failure,
      String message,
      int attempts,
      String owner) {

    /** The API's envelope; what has no value yet is left out (IBM's SDK fails on a null time). */
    public Envelope<RunEntity> toApi() {
      JsonNode failed = null;
      if (failure != null) {
        try {
          failed = io.vigil.commons.api.Json.MAPPER.readTree(failure);
        } catch (java.io.IOException e) {
          failed = TextNode.valueOf(failure);
        }
      }
      return new Envelope<>(
          Metadata.of(id, "/v2/monitor_instances/" + monitorInstanceId + "/runs/" + id, queuedAt),
          new RunEntity(
              triggeredBy,
              new RunEntity.Status(status, queuedAt, startedAt, completedAt, message, failed)));
    }
  }

  private final Pool pool;

  RunRepository(Pool pool) {
    this.pool = pool;
  }

  /** Queues a run. */
  public Uni<Run> queue(
      SqlClient c, String id, String tenant, String monitorInstanceId, String triggeredBy) {
    return c.preparedQuery(
            "INSERT INTO monitor_runs (id, service_instance_id, monitor_instance_id, triggered_by, status)"
                + " VALUES ($1, $2, $3, $4, 'queued') RETURNING "
                + COLUMNS)
        .execute(Tuple.of(id, tenant, monitorInstanceId, triggeredBy))
        .map(RunRepository::first);
  }

  /** One run of a monitor instance, or null. */
  public Uni<Run> get(String tenant, String monitorInstanceId, String id) {
    return pool.preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM monitor_runs WHERE service_instance_id = $1 AND monitor_instance_id = $2 AND id = $3")
        .execute(Tuple.of(tenant, monitorInstanceId, id))
        .map(RunRepository::first);
  }

  /** Runs of a monitor instance, newest first. */
  public Uni<List<Run>> list(String tenant, String monitorInstanceId, int limit) {
    return pool.preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM monitor_runs WHERE service_instance_id = $1 AND monitor_instance_id = $2"
                + " ORDER BY queued_at DESC, id LIMIT $3")
        .execute(Tuple.of(tenant, monitorInstanceId, limit))
        .map(RunRepository::all);
  }

  /**
   * Claims the oldest queued run, or a running one whose heartbeat is older than {@code stale} (its
   * instance died), for {@code owner}; null when there is none.
   */
  public Uni<Run> claim(String owner, Duration stale) {
    return pool.preparedQuery(
            "UPDATE monitor_runs SET status = 'running', owner = $1, heartbeat_at = now(),"
                + " started_at = coalesce(started_at, now()), attempts = attempts + 1"
                + " WHERE id = (SELECT id FROM monitor_runs WHERE status = 'queued'"
                + " OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $2))"
                + " ORDER BY queued_at FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING "
                + COLUMNS)
        .execute(Tuple.of(owner, (double) stale.toMillis() / 1000))
        .map(RunRepository::first);
  }

  /** Keeps a claimed run's heartbeat; answers false when another owner has it now. */
  public Uni<Boolean> heartbeat(String id, String owner) {
    return pool.preparedQuery(
            "UPDATE monitor_runs SET heartbeat_at = now() WHERE id = $1 AND owner = $2 AND status = 'running'")
        .execute(Tuple.of(id, owner))
        .map(r -> r.rowCount() == 1);
  }

  /** The owner of a run whose client computes and ends it: no instance claims it again. */
  public static final String EXTERNAL = "external";

  /**
   * Hands a run this owner holds to its client (a monitor computed outside Vigil): it stays {@code
   * running} with the message until the client patches it; no instance claims it again.
   */
  public Uni<Boolean> handOver(SqlClient c, String id, String owner, String message) {
    return c.preparedQuery(
            "UPDATE monitor_runs SET owner = $3, heartbeat_at = 'infinity', message = $4"
                + " WHERE id = $1 AND owner = $2 AND status = 'running'")
        .execute(Tuple.of(id, owner, EXTERNAL, message))
        .map(r -> r.rowCount() == 1);
  }

  /**
   * The client's change of a run it computes: its state ({@code running}, {@code finished}, {@code
   * error}), message and failure; answers the run, or null when it is not the client's.
   */
  public Uni<Run> clientUpdate(
      String tenant,
      String monitorInstanceId,
      String id,
      String status,
      String message,
      String failureJson) {
    return pool.preparedQuery(
            "UPDATE monitor_runs SET status = $4, message = $5, failure = $6::text::jsonb,"
                + " completed_at = CASE WHEN $4 IN ('finished', 'error') THEN coalesce(completed_at, now()) END"
                + " WHERE service_instance_id = $1 AND monitor_instance_id = $2 AND id = $3"
                + " AND owner = '"
                + EXTERNAL
                + "' RETURNING "
                + COLUMNS)
        .execute(
            Tuple.tuple(
                java.util.Arrays.asList(
                    tenant, monitorInstanceId, id, status, message, failureJson)))
        .map(RunRepository::first);
  }

  /** Ends a run this owner holds; answers false when it no longer holds it. */
  public Uni<Boolean> finish(
      SqlClient c, String id, String owner, String status, String failureJson, String message) {
    return c.preparedQuery(
            "UPDATE monitor_runs SET status = $3, completed_at = now(), failure = $4::text::jsonb, message = $5"
                + " WHERE id = $1 AND owner = $2 AND status = 'running'")
        .execute(Tuple.of(id, owner, status, failureJson, message))
        .map(r -> r.rowCount() == 1);
  }

  /**
   * Queues a run for every scheduled monitor instance whose interval has passed since its last run,
   * once across all instances of the service (a transaction-scoped advisory lock).
   */
  public Uni<Integer> queueDue() {
    return pool.withTransaction(
        c ->
            c.query("SELECT pg_try_advisory_xact_lock(7301968)")
                .execute()
                .chain(
                    locked -> {
                      if (!locked.iterator().next().getBoolean(0)) {
                        return Uni.createFrom().item(0);
                      }
                      return c.query(
                              "INSERT INTO monitor_runs (id, service_instance_id, monitor_instance_id, triggered_by, status)"
                                  + " SELECT gen_random_uuid()::text, r.service_instance_id, r.id, 'scheduler', 'queued'"
                                  + " FROM resources r WHERE r.kind = 'monitor_instances' AND r.entity ? 'schedule'"
                                  + " AND NOT EXISTS (SELECT 1 FROM monitor_runs q WHERE q.monitor_instance_id = r.id"
                                  + " AND (q.status IN ('queued', 'running') OR q.queued_at > now() -"
                                  + " (r.entity->'schedule'->>'repeat_interval')::int * CASE r.entity->'schedule'->>'repeat_unit'"
                                  + " WHEN 'minute' THEN interval '1 minute' WHEN 'hour' THEN interval '1 hour'"
                                  + " WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '1 week'"
                                  + " WHEN 'month' THEN interval '1 month' ELSE interval '1 year' END))")
                          .execute()
                          .map(RowSet::rowCount);
                    }));
  }

  private static Run first(RowSet<Row> rows) {
    return rows.size() == 0 ? null : read(rows.iterator().next());
  }

  private static List<Run> all(RowSet<Row> rows) {
    List<Run> out = new ArrayList<>();
    rows.forEach(r -> out.add(read(r)));
    return out;
  }

  private static Run read(Row r) {
    return new Run(
        r.getString(0),
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        r.getString(6),
        r.getString(7),
        r.getString(8),
        r.getString(9),
        r.getInteger(10),
        r.getString(11));
  }
}
