package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A tenant's export and import at the table level: its records and measurements read in pages (so
 * an export of millions streams), and rows written back by an import in the caller's transaction.
 */
@ApplicationScoped
public class TransferRepository {

  private static final int PAGE = 2_000;

  /** A record as exported: its data set, id, time (ISO-8601, UTC) and values (JSON text). */
  public record ExportedRecord(String dataSetId, String recordId, String ts, String values) {}

  private final Pool pool;

  private final RecordRepository records;

  TransferRepository(Pool pool, RecordRepository records) {
    this.records = records;
    this.pool = pool;
  }

  /** Every record of the tenant, in the order they were stored. */
  public Multi<ExportedRecord> records(String tenant) {
    return pages(
        "SELECT seq, data_set_id, record_id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), row_values::text FROM records WHERE service_instance_id = $1 AND seq > $2 ORDER BY seq LIMIT "
            + PAGE,
        tenant,
        r -> new ExportedRecord(r.getString(1), r.getString(2), r.getString(3), r.getString(4)));
  }

  /** Every measurement entity of the tenant (JSON text), oldest first. */
  public Multi<String> measurements(String tenant) {
    return pages(
        "SELECT row_number() OVER (ORDER BY ts, id) AS n, entity::text FROM measurements WHERE service_instance_id = $1 ORDER BY ts, id OFFSET $2 LIMIT "
            + PAGE,
        tenant,
        r -> r.getString(1));
  }

  /**
   * Keyset (or offset) pages of a query whose first column is the position: {@code $1} = tenant,
   * {@code $2} = the last position seen.
   */
  private <T> Multi<T> pages(String sql, String tenant, Function<Row, T> map) {
    AtomicLong last = new AtomicLong();
    return Multi.createBy()
        .repeating()
        .uni(
            () ->
                pool.preparedQuery(sql)
                    .execute(Tuple.of(tenant, last.get()))
                    .map(
                        rows -> {
                          List<T> page = new ArrayList<>();
                          for (Row r : rows) {
                            last.set(r.getLong(0) == null ? last.get() + 1 : r.getLong(0));
                            page.add(map.apply(r));
                          }
                          return page;
                        }))
        .whilst(page -> page.size() == PAGE)
        .onItem()
        .transformToMultiAndConcatenate(page -> Multi.createFrom().iterable(page));
  }

  /** How many configuration resources the tenant has. */
  public Uni<Long> countResources(SqlClient c, String tenant) {
    return c.preparedQuery("SELECT count(*) FROM resources WHERE service_instance_id = $1")
        .execute(Tuple.of(tenant))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** Writes an imported configuration resource. */
  public Uni<Void> insertResource(
      SqlClient c,
      String tenant,
      ResourceKind kind,
      String id,
      String entity,
      OffsetDateTime createdAt,
      String createdBy,
      String principal) {
    return c.preparedQuery(
            "INSERT INTO resources (service_instance_id, kind, id, entity, created_at, created_by, modified_at, modified_by)"
                + " VALUES ($1, $2, $3, $4::text::jsonb, $5::timestamptz, $6, now(), $7)")
        .execute(
            Tuple.tuple(List.of(tenant, kind.path(), id, entity, createdAt, createdBy, principal)))
        .replaceWithVoid();
  }

  /** Writes an imported record (with its key, into its day's partition). */
  public Uni<Void> insertRecord(
      SqlClient c,
      String tenant,
      String dataSetId,
      String recordId,
      OffsetDateTime ts,
      com.fasterxml.jackson.databind.node.ObjectNode values) {
    return records
        .storeChecked(
            c,
            tenant,
            dataSetId,
            "import",
            List.of(new RecordRow(recordId, ts.toInstant(), values)))
        .replaceWithVoid();
  }

  /** Writes an imported measurement under a new id. */
  public Uni<Void> insertMeasurement(
      SqlClient c,
      String id,
      String tenant,
      String monitorInstanceId,
      String monitorDefinitionId,
      String targetType,
      String targetId,
      String runId,
      OffsetDateTime ts,
      int issueCount,
      String entity) {
    return c.preparedQuery(
            "INSERT INTO measurements (id, service_instance_id, monitor_instance_id, monitor_definition_id, target_type, target_id, run_id, ts, issue_count, entity)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)")
        .execute(
            Tuple.tuple(
                Arrays.asList(
                    id,
                    tenant,
                    monitorInstanceId,
                    monitorDefinitionId,
                    targetType,
                    targetId,
                    runId,
                    ts,
                    issueCount,
                    entity)))
        .replaceWithVoid();
  }
}
