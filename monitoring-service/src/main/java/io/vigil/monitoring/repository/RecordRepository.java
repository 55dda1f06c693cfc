package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** Records of data sets and the store requests that brought them. */
@ApplicationScoped
public class RecordRepository {

  /** A stored record as read back. */
  public record Stored(String recordId, String timestamp, String values) {}

  /** A store request. */
  public record StoreRequest(
      String id, String dataSetId, String state, int received, int stored, String createdAt) {}

  private final RecordPartitions partitions;

  RecordRepository(RecordPartitions partitions) {
    this.partitions = partitions;
  }

  /**
   * Stores rows and their store request in one statement (atomic without a transaction, one round
   * trip): rows the data set has already are skipped (a retried store), and nothing is stored when
   * the data set does not exist (any more). Answers how many rows were new, or null when the data
   * set does not exist.
   */
  public Uni<Integer> store(
      SqlClient c, String tenant, String dataSetId, String requestId, List<RecordRow> rows) {
    return insert(
        c,
        rows,
        Tuple.of(dataSetId, tenant, requestId),
        rowsSql ->
            "WITH ds AS (SELECT 1 FROM resources WHERE service_instance_id = $2 AND kind = 'data_sets' AND id = $1), "
                + rowsSql
                + ", req AS (INSERT INTO store_requests (id, service_instance_id, data_set_id, state, records_received, records_stored)"
                + " SELECT $3, $2, $1, 'active', $7, (SELECT count(*) FROM ins) WHERE EXISTS (SELECT 1 FROM ds)"
                + " RETURNING records_stored) SELECT records_stored FROM req",
        "EXISTS (SELECT 1 FROM ds)",
        true);
  }

  /** Stores rows into a data set the caller has checked (an import); answers how many were new. */
  public Uni<Integer> storeChecked(
      SqlClient c, String tenant, String dataSetId, String requestId, List<RecordRow> rows) {
    return insert(
        c,
        rows,
        Tuple.of(dataSetId, tenant, requestId),
        rowsSql -> "WITH " + rowsSql + " SELECT count(*)::int FROM ins",
        "true",
        false);
  }

  /**
   * Runs a statement built around the rows' CTEs ({@code u}: the rows, {@code ins}: one row per
   * record stored; parameters $1 data set, $2 tenant, $3 request, $4-$6 ids, times, values, and
   * with {@code withCount} $7 how many rows there are). Once {@code records} is partitioned, a
   * row's key goes into {@code record_keys} first and the row is stored only when the key was new;
   * before (an upgrade in progress), the table's own key skips a row stored before and V6's trigger
   * writes the key. The rows' days get their partitions first; when another instance changed the
   * layout meanwhile (switched it, dropped a day), the statement is built again after reading it
   * anew, once.
   */
  private Uni<Integer> insert(
      SqlClient c,
      List<RecordRow> rows,
      Tuple head,
      java.util.function.Function<String, String> statement,
      String guard,
      boolean withCount) {
    int n = rows.size();
    String[] ids = new String[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    String[] values = new String[n];
    java.util.Set<java.time.LocalDate> days = new java.util.HashSet<>();
    for (int i = 0; i < n; i++) {
      RecordRow r = rows.get(i);
      ids[i] = r.recordId();
      times[i] = r.timestamp().atOffset(ZoneOffset.UTC);
      values[i] = r.values().toString();
      days.add(times[i].toLocalDate());
    }
    Tuple args = Tuple.of(head.getValue(0), head.getValue(1), head.getValue(2), ids, times, values);
    if (withCount) {
      args.addInteger(n);
    }
    java.util.function.Supplier<Uni<Integer>> attempt =
        () ->
            partitions
                .ensure(days)
                .chain(
                    partitioned ->
                        c.preparedQuery(statement.apply(rowsSql(partitioned, guard))).execute(args))
                .map(result -> result.size() == 0 ? null : result.iterator().next().getInteger(0));
    return attempt
        .get()
        .onFailure(RecordPartitions::layoutChanged)
        .recoverWithUni(
            () -> {
              partitions.forget();
              return attempt.get();
            });
  }

  private static String rowsSql(boolean partitioned, String guard) {
    String u =
        "u AS (SELECT * FROM unnest($4::text[], $5::timestamptz[], $6::text[]) AS u(id, ts, v))";
    String columns =
        "INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values, request_id)";
    if (!partitioned) {
      return u
          + ", ins AS ("
          + columns
          + " SELECT $1, id, $2, ts, v::jsonb, $3 FROM u WHERE "
          + guard
          + " ON CONFLICT (data_set_id, record_id) DO NOTHING RETURNING 1)";
    }
    return u
        + ", k AS (INSERT INTO record_keys (data_set_id, record_id, ts, seq)"
        + " SELECT $1, id, ts, nextval('records_seq_seq') FROM u WHERE "
        + guard
        + " ON CONFLICT DO NOTHING RETURNING record_id, seq), ins AS ("
        + columns.replace("request_id)", "request_id, seq)")
        + " SELECT $1, u.id, $2, u.ts, u.v::jsonb, $3, k.seq FROM u JOIN k ON k.record_id = u.id RETURNING 1)";
  }

  /** A store request, or null. */
  public Uni<StoreRequest> request(SqlClient c, String tenant, String dataSetId, String id) {
    return c.preparedQuery(
            "SELECT id, data_set_id, state, records_received, records_stored,"
                + " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                + " FROM store_requests WHERE service_instance_id = $1 AND data_set_id = $2 AND id = $3")
        .execute(Tuple.of(tenant, dataSetId, id))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row r = rows.iterator().next();
              return new StoreRequest(
                  r.getString(0),
                  r.getString(1),
                  r.getString(2),
                  r.getInteger(3),
                  r.getInteger(4),
                  r.getString(5));
            });
  }

  /**
   * A page of records in store order, with a WHERE clause fragment built by the caller over
   * parameters starting at {@code $3} ({@code $1} = data set, {@code $2} = tenant).
   */
  public Uni<List<Stored>> page(
      SqlClient c,
      String dataSetId,
      String tenant,
      String where,
      List<Object> params,
      int limit,
      int offset) {
    List<Object> all = new ArrayList<>(List.of(dataSetId, tenant));
    all.addAll(params);
    all.add(limit);
    all.add(offset);
    int p = all.size();
    return c.preparedQuery(
            "SELECT record_id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), row_values::text"
                + " FROM records WHERE data_set_id = $1 AND service_instance_id = $2"
                + where
                + " ORDER BY ts, seq LIMIT $"
                + (p - 1)
                + " OFFSET $"
                + p)
        .execute(Tuple.tuple(all))
        .map(RecordRepository::stored);
  }

  /** How many records match. */
  public Uni<Long> count(
      SqlClient c, String dataSetId, String tenant, String where, List<Object> params) {
    List<Object> all = new ArrayList<>(List.of(dataSetId, tenant));
    all.addAll(params);
    return c.preparedQuery(
            "SELECT count(*) FROM records WHERE data_set_id = $1 AND service_instance_id = $2"
                + where)
        .execute(Tuple.tuple(all))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** One record by its id, or null. */
  public Uni<Stored> one(SqlClient c, String tenant, String dataSetId, String id) {
    return partitions
        .byId("$1", "= $3")
        .chain(where -> page(c, dataSetId, tenant, where, List.of(id), 1, 0))
        .map(found -> found.isEmpty() ? null : found.get(0));
  }

  /**
   * The statement that deletes the records of the data sets {@code dataSets} selects, with their
   * keys: a native statement of the transaction that deletes their tenant, subscription or data set
   * ({@code ?n} parameter markers in {@code dataSets}).
   */
  static String deletion(String dataSets) {
    return "WITH ds AS ("
        + dataSets
        + "), k AS (DELETE FROM record_keys WHERE data_set_id IN (SELECT * FROM ds))"
        + " DELETE FROM records WHERE data_set_id IN (SELECT * FROM ds)";
  }

  /**
   * The records of a data set with these ids, locked for update in the caller's transaction (a
   * PATCH reads, changes and writes them back with nothing in between).
   */
  public Uni<List<Stored>> lock(SqlClient c, String tenant, String dataSetId, List<String> ids) {
    return partitions
        .byId("$1", "= ANY($3)")
        .chain(
            where ->
                c.preparedQuery(
                        "SELECT record_id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), row_values::text"
                            + " FROM records WHERE data_set_id = $1 AND service_instance_id = $2"
                            + where
                            + " ORDER BY record_id FOR UPDATE")
                    .execute(Tuple.of(dataSetId, tenant, ids.toArray(String[]::new))))
        .map(RecordRepository::stored);
  }

  /** Replaces the values of records (ids and JSON objects side by side); answers how many. */
  public Uni<Integer> replaceValues(
      SqlClient c, String tenant, String dataSetId, List<String> ids, List<String> values) {
    return partitions
        .byId("$1", "= ANY($3)")
        .chain(
            where ->
                c.preparedQuery(
                        "UPDATE records r SET row_values = u.v::jsonb"
                            + " FROM unnest($3::text[], $4::text[]) AS u(id, v)"
                            + " WHERE r.data_set_id = $1 AND r.service_instance_id = $2 AND r.record_id = u.id"
                            + where)
                    .execute(
                        Tuple.of(
                            dataSetId,
                            tenant,
                            ids.toArray(String[]::new),
                            values.toArray(String[]::new))))
        .map(rows -> rows.rowCount());
  }

  /**
   * Adds fields to records that still lack {@code unlessField} (a model's output added to feedback
   * rows, never over a prediction a client stored meanwhile); answers how many rows changed.
   */
  public Uni<Integer> addFields(
      SqlClient c, String dataSetId, List<String> ids, List<String> fields, String unlessField) {
    return partitions
        .byId("$1", "= ANY($2)")
        .chain(
            where ->
                c.preparedQuery(
                        "UPDATE records r SET row_values = r.row_values || u.v::jsonb"
                            + " FROM unnest($2::text[], $3::text[]) AS u(id, v)"
                            + " WHERE r.data_set_id = $1 AND r.record_id = u.id AND NOT r.row_values ? $4"
                            + where)
                    .execute(
                        Tuple.of(
                            dataSetId,
                            ids.toArray(String[]::new),
                            fields.toArray(String[]::new),
                            unlessField)))
        .map(rows -> rows.rowCount());
  }

  private static List<Stored> stored(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
    List<Stored> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(new Stored(r.getString(0), r.getString(1), r.getString(2)));
    }
    return out;
  }
}
