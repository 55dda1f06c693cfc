package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.api.Envelope;
import io.vigil.monitoring.api.Metadata;
import io.vigil.monitoring.api.NotificationEntity;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The notification outbox: rows written with their measurement, claimed by any instance for a lease
 * ({@code FOR UPDATE SKIP LOCKED}), then delivered, scheduled again or failed by their claimant
 * only. A claimant that dies leaves its lease to expire; the next claim sends the same id again.
 */
@ApplicationScoped
public class NotificationRepository {

  private static final String TS = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";
  private static final String COLUMNS =
      "id, service_instance_id, integrated_system_id, monitor_instance_id, measurement_id, run_id,"
          + " type, body::text, state, attempts, last_status, last_error,"
          + " to_char(created_at AT TIME ZONE 'UTC', "
          + TS
          + "), to_char(last_attempt_at AT TIME ZONE 'UTC', "
          + TS
          + "), to_char(delivered_at AT TIME ZONE 'UTC', "
          + TS
          + "), to_char(next_attempt_at AT TIME ZONE 'UTC', "
          + TS
          + ")";

  /** A notification and its delivery state. */
  public record Notification(
      String id,
      String tenant,
      String integratedSystemId,
      String monitorInstanceId,
      String measurementId,
      String runId,
      String type,
      ObjectNode body,
      String state,
      int attempts,
      Integer lastStatus,
      String lastError,
      String createdAt,
      String lastAttemptAt,
      String deliveredAt,
      String nextAttemptAt) {

    /** The API's envelope: delivery state and the body as sent. */
    public Envelope<NotificationEntity> toApi() {
      return new Envelope<>(
          Metadata.of(id, "/v2/notifications/" + id, createdAt),
          new NotificationEntity(
              integratedSystemId,
              monitorInstanceId,
              measurementId,
              runId,
              type,
              new NotificationEntity.Delivery(
                  state,
                  attempts,
                  lastAttemptAt,
                  lastStatus,
                  lastError,
                  deliveredAt,
                  state.equals("pending") ? nextAttemptAt : null),
              body));
    }
  }

  private final Pool pool;

  NotificationRepository(Pool pool) {
    this.pool = pool;
  }

  /** Writes a pending notification (in the measurement's transaction). */
  public Uni<Void> insert(
      SqlClient c,
      String id,
      String tenant,
      String integratedSystemId,
      String monitorInstanceId,
      String measurementId,
      String runId,
      String type,
      ObjectNode body) {
    return c.preparedQuery(
            "INSERT INTO notifications (id, service_instance_id, integrated_system_id,"
                + " monitor_instance_id, measurement_id, run_id, type, body)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)")
        .execute(
            Tuple.tuple(
                Arrays.asList(
                    id,
                    tenant,
                    integratedSystemId,
                    monitorInstanceId,
                    measurementId,
                    runId,
                    type,
                    body.toString())))
        .replaceWithVoid();
  }

  /** The issue count of the measurement of an instance before {@code measurementId}, or null. */
  public Uni<Integer> previousIssueCount(
      SqlClient c, String monitorInstanceId, String measurementId) {
    return c.preparedQuery(
            "SELECT issue_count FROM measurements WHERE monitor_instance_id = $1 AND id <> $2"
                + " AND ts <= (SELECT ts FROM measurements WHERE id = $2)"
                + " ORDER BY ts DESC, id DESC LIMIT 1")
        .execute(Tuple.of(monitorInstanceId, measurementId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getInteger(0));
  }

  /** Claims up to {@code limit} due notifications for {@code owner} for {@code lease}. */
  public Uni<List<Notification>> claim(String owner, Duration lease, int limit) {
    return pool.preparedQuery(
            "UPDATE notifications SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2),"
                + " attempts = attempts + 1, last_attempt_at = now()"
                + " WHERE id IN (SELECT id FROM notifications WHERE state = 'pending'"
                + " AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())"
                + " ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT $3) RETURNING "
                + COLUMNS)
        .execute(Tuple.of(owner, (double) lease.toMillis() / 1000, limit))
        .map(NotificationRepository::all);
  }

  /** Marks a claimed notification delivered; false when the claim was lost. */
  public Uni<Boolean> delivered(String id, String owner, int status) {
    return pool.preparedQuery(
            "UPDATE notifications SET state = 'delivered', delivered_at = now(), last_status = $3,"
                + " last_error = NULL, claimed_by = NULL, claimed_until = NULL"
                + " WHERE id = $1 AND claimed_by = $2 AND state = 'pending'")
        .execute(Tuple.of(id, owner, status))
        .map(r -> r.rowCount() == 1);
  }

  /**
   * Ends a failed attempt: scheduled again after {@code backoff}, or failed when the notification
   * is older than {@code retryFor}; answers the new state, or null when the claim was lost.
   */
  public Uni<String> attemptFailed(
      String id,
      String owner,
      Integer status,
      String error,
      Duration backoff,
      Duration retryFor,
      boolean countAttempt) {
    return pool.preparedQuery(
            "UPDATE notifications SET"
                + " state = CASE WHEN created_at + make_interval(secs => $6) < now() + make_interval(secs => $5)"
                + " THEN 'failed' ELSE 'pending' END,"
                + " next_attempt_at = now() + make_interval(secs => $5), last_status = $3, last_error = $4,"
                + " attempts = attempts - CASE WHEN $7 THEN 0 ELSE 1 END,"
                + " claimed_by = NULL, claimed_until = NULL"
                + " WHERE id = $1 AND claimed_by = $2 AND state = 'pending' RETURNING state")
        .execute(
            Tuple.tuple(
                Arrays.asList(
                    id,
                    owner,
                    status,
                    error,
                    (double) backoff.toMillis() / 1000,
                    (double) retryFor.toMillis() / 1000,
                    countAttempt)))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** A tenant's notifications that match, newest first. */
  public Uni<List<Notification>> list(
      String tenant,
      String integratedSystemId,
      String monitorInstanceId,
      String runId,
      String state,
      int limit) {
    return pool.preparedQuery(
            "SELECT "
                + COLUMNS
                + " FROM notifications WHERE service_instance_id = $1"
                + " AND ($2::text IS NULL OR integrated_system_id = $2)"
                + " AND ($3::text IS NULL OR monitor_instance_id = $3)"
                + " AND ($4::text IS NULL OR run_id = $4) AND ($5::text IS NULL OR state = $5)"
                + " ORDER BY created_at DESC, id LIMIT $6")
        .execute(
            Tuple.tuple(
                Arrays.asList(tenant, integratedSystemId, monitorInstanceId, runId, state, limit)))
        .map(NotificationRepository::all);
  }

  /** One notification of a tenant, or null. */
  public Uni<Notification> get(String tenant, String id) {
    return pool.preparedQuery(
            "SELECT " + COLUMNS + " FROM notifications WHERE service_instance_id = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  private static List<Notification> all(RowSet<Row> rows) {
    List<Notification> out = new ArrayList<>();
    rows.forEach(r -> out.add(read(r)));
    return out;
  }

  private static Notification read(Row r) {
    try {
      return new Notification(
          r.getString(0),
          r.getString(1),
          r.getString(2),
          r.getString(3),
          r.getString(4),
          r.getString(5),
          r.getString(6),
          (ObjectNode) Json.MAPPER.readTree(r.getString(7)),
          r.getString(8),
          r.getInteger(9),
          r.getInteger(10),
          r.getString(11),
          r.getString(12),
          r.getString(13),
          r.getString(14),
          r.getString(15));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
