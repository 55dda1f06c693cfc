package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The monitors' reads of {@code records}: each one pass over the rows a monitor needs, aggregated
 * in PostgreSQL where only counts are needed (GROUPING SETS), so only distinct values cross the
 * wire; rows stream through a cursor ({@link RowStreamer}). Values arrive as plain Java values
 * ({@link JsonValues}).
 */
@ApplicationScoped
public class MonitorQueries {

  /** One labelled feedback row: label, prediction, probability vector (or null). */
  @FunctionalInterface
  public interface LabelledRow {
    void accept(String label, String prediction, double[] probability);
  }

  /** A binary labelled row: the positive class's probability (null: none) and how many classes. */
  public interface ScoredRow {
    void accept(String label, String prediction, Double score, Integer width);
  }

  /** {@code count} rows have {@code value} in column {@code column} of a grouped read. */
  @FunctionalInterface
  public interface GroupCount {
    void accept(int column, Object value, long count);
  }

  /** {@code count} rows have the prediction {@code prediction} and {@code value} in a feature. */
  @FunctionalInterface
  public interface PairCount {
    void accept(int feature, Object prediction, Object value, long count);
  }

  private final RowStreamer rows;
  private final Pool pool;

  MonitorQueries(RowStreamer rows, Pool pool) {
    this.rows = rows;
    this.pool = pool;
  }

  /**
   * Quality's rows ({@code a} label, {@code p} prediction, {@code s} probability): every feedback
   * row of data set $1 with a label ($3), its prediction ($4) and probability ($5) from the row
   * itself, else from the record of payload data set $2 whose id is the row's $6.
   */
  private static final String LABELLED =
      "SELECT f.row_values->$3 AS a, coalesce(f.row_values->$4, p.row_values->$4) AS p,"
          + " coalesce(f.row_values->$5, p.row_values->$5) AS s"
          + " FROM records f LEFT JOIN records p ON p.data_set_id = $2 AND p.record_id = f.row_values->>$6"
          + " WHERE f.data_set_id = $1 AND f.row_values ? $3";

  /**
   * Where quality's rows come from: the feedback and payload data sets, the label, prediction and
   * probability fields, and the field of a feedback row that names its payload record.
   */
  public record Labelled(
      String feedback,
      String payload,
      String label,
      String prediction,
      String probability,
      String transactionIdField) {

    /** {@link #LABELLED}'s parameters $1 to $6, then {@code more}. */
    List<Object> args(Object... more) {
      List<Object> args =
          new ArrayList<>(
              Arrays.asList(feedback, payload, label, prediction, probability, transactionIdField));
      args.addAll(Arrays.asList(more));
      return args;
    }
  }

  /** Quality: {@link #LABELLED}, row by row. */
  public Uni<Long> labelledRows(Labelled source, LabelledRow sink) {
    return rows.forEach(
        LABELLED,
        Tuple.tuple(source.args()),
        r -> {
          String a = JsonValues.text(r.getValue(0));
          String p = JsonValues.text(r.getValue(1));
          if (a != null && p != null) {
            sink.accept(a, p, JsonValues.numbers(r.getValue(2)));
          }
        });
  }

  /**
   * Quality of a binary model: the rows of {@link #labelledRows} with the positive class's
   * probability ({@code positive} is its index in a probability array; a single number is that
   * probability), in descending order of it, rows without one last — sorted by PostgreSQL (on disk
   * when it must), so the run streams them through a few counters.
   */
  public Uni<Long> binaryRows(Labelled source, int positive, ScoredRow sink) {
    String sql =
        "SELECT a, p, CASE jsonb_typeof(s) WHEN 'number' THEN s::text::float8"
            + " WHEN 'array' THEN CASE WHEN jsonb_typeof(s -> least($7, jsonb_array_length(s) - 1)) = 'number'"
            + " THEN (s ->> least($7, jsonb_array_length(s) - 1))::float8 END END AS score,"
            + " CASE jsonb_typeof(s) WHEN 'number' THEN 1 WHEN 'array' THEN jsonb_array_length(s) END"
            + " FROM ("
            + LABELLED
            + " OFFSET 0) x ORDER BY score DESC NULLS LAST";
    return rows.forEach(
        sql,
        Tuple.tuple(source.args(positive)),
        r -> {
          String a = JsonValues.text(r.getValue(0));
          String p = JsonValues.text(r.getValue(1));
          if (a != null && p != null) {
            sink.accept(a, p, r.getDouble(2), r.getInteger(3));
          }
        });
  }

  /**
   * Fairness: counts of (prediction, feature value) over the latest {@code limit} records, or over
   * all of them, unsorted, when {@code limit} is 0; one grouping set per feature. Answers how many
   * records were counted.
   */
  public Uni<Long> predictionsByFeature(
      String payload, String prediction, List<String> features, int limit, PairCount sink) {
    List<Object> args = new ArrayList<>(List.of(payload, prediction));
    args.addAll(features);
    if (limit > 0) {
      args.add(limit);
    }
    String sql = predictionsByFeatureSql(features.size(), limit > 0);
    int k = features.size();
    long[] total = new long[1];
    return rows.forEach(
            sql,
            Tuple.tuple(args),
            r -> {
              long n = r.getLong(2 * k + 1);
              Object p = JsonValues.scalar(r.getValue(k));
              for (int f = 0; f < k; f++) {
                if (r.getInteger(f) == 0) {
                  sink.accept(f, p, JsonValues.scalar(r.getValue(k + 1 + f)), n);
                  if (f == 0) {
                    total[0] += n;
                  }
                  return;
                }
              }
            })
        .map(ignored -> total[0]);
  }

  /**
   * {@link #predictionsByFeature}' statement: $1 the data set, $2 the prediction, then the {@code
   * features} names, then the limit when {@code limited}.
   */
  static String predictionsByFeatureSql(int features, boolean limited) {
    StringBuilder inner = new StringBuilder("SELECT row_values->$2 AS p");
    StringBuilder sets = new StringBuilder();
    StringBuilder grouping = new StringBuilder();
    StringBuilder columns = new StringBuilder();
    for (int f = 0; f < features; f++) {
      inner.append(", row_values->$").append(3 + f).append(" AS f").append(f);
      sets.append(f == 0 ? "" : ", ").append("(p, f").append(f).append(')');
      grouping.append("GROUPING(f").append(f).append("), ");
      columns.append(", f").append(f);
    }
    inner.append(" FROM records WHERE data_set_id = $1");
    if (limited) {
      inner.append(" ORDER BY ts DESC, seq DESC LIMIT $").append(3 + features);
    } else {
      inner.append(" OFFSET 0"); // the fence of sampleCountsSql: hashed, not sorted per set
    }
    return "SELECT "
        + grouping
        + "p"
        + columns
        + ", count(*) FROM ("
        + inner
        + ") s GROUP BY GROUPING SETS ("
        + sets
        + ")";
  }

  /**
   * Drift: a sample's value counts in one pass — column 0 the prediction (or the fallback field),
   * column 1 the confidence bin (highest class probability, 10 bins over [0, 1]; null without a
   * probability), columns 2.. the features — over the newest (or oldest) {@code max} records, or
   * over every record of the data set, unordered, when {@code max} is 0.
   */
  public Uni<Long> sampleCounts(
      String dataSet,
      String prediction,
      String fallbackPrediction,
      String probability,
      List<String> features,
      int max,
      boolean newest,
      GroupCount sink) {
    List<Object> args =
        new ArrayList<>(List.of(dataSet, prediction, fallbackPrediction, probability));
    args.addAll(features);
    if (max > 0) {
      args.add(max);
    }
    int columns = features.size() + 2;
    String sql = sampleCountsSql(features.size(), max > 0, newest);
    return rows.forEach(
        sql,
        Tuple.tuple(args),
        r -> {
          long n = r.getLong(2 * columns);
          for (int c = 0; c < columns; c++) {
            if (r.getInteger(c) == 0) {
              sink.accept(c, JsonValues.scalar(r.getValue(columns + c)), n);
              return;
            }
          }
        });
  }

  /**
   * {@link #sampleCounts}' statement: $1 the data set, $2 the prediction, $3 its fallback, $4 the
   * probability, then the {@code features} names, then the limit when {@code limited}.
   */
  static String sampleCountsSql(int features, boolean limited, boolean newest) {
    StringBuilder inner =
        new StringBuilder(
            "SELECT coalesce(row_values->$2, row_values->$3) AS c0, CASE jsonb_typeof(row_values->$4)"
                + " WHEN 'number' THEN least(floor((row_values->>$4)::float8 * 10), 9)::int"
                // an array's highest value: the element no other element is greater than
                + " WHEN 'array' THEN least(floor(jsonb_path_query_first(row_values->$4,"
                + " '$[*] ? (!(@ < $[*]))')::float8 * 10), 9)::int"
                + " END AS c1");
    int columns = features + 2;
    for (int f = 0; f < features; f++) {
      inner.append(", row_values->$").append(5 + f).append(" AS c").append(f + 2);
    }
    inner.append(" FROM records WHERE data_set_id = $1");
    if (limited) {
      inner
          .append(" ORDER BY ts ")
          .append(newest ? "DESC, seq DESC" : "ASC, seq ASC")
          .append(" LIMIT $")
          .append(5 + features);
    } else {
      // a fence: pulled up into the grouping, the sub-select's jsonb values get the table's
      // statistics, PostgreSQL 15 expects hundreds of thousands of groups and sorts once per
      // grouping set, spilling to disk (8.7 s over a million records); fenced, it hashes
      // (4.4 s; the groups are the few thousand distinct values there are)
      inner.append(" OFFSET 0");
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    StringBuilder sets = new StringBuilder();
    for (int c = 0; c < columns; c++) {
      sql.append("GROUPING(c").append(c).append("), ");
      sets.append(c == 0 ? "" : ", ").append("(c").append(c).append(')');
    }
    for (int c = 0; c < columns; c++) {
      sql.append('c').append(c).append(", ");
    }
    return sql.append("count(*) FROM (")
        .append(inner)
        .append(") s GROUP BY GROUPING SETS (")
        .append(sets)
        .append(')')
        .toString();
  }

  /** Performance: records of a data set since a time (all when {@code since} is null). */
  public Uni<Long> countSince(String dataSet, OffsetDateTime since) {
    return rows.count(
        "SELECT count(*) FROM records WHERE data_set_id = $1 AND ($2::timestamptz IS NULL OR ts >= $2)",
        Tuple.tuple(Arrays.asList(dataSet, since)));
  }

  /** A feedback row quality cannot use without scoring it: no prediction, no payload record. */
  public record Unscored(long seq, String recordId, String values) {}

  /** {@link #unscored}' statement: feedback, last seq, label, prediction, payload, id field. */
  static final String UNSCORED =
      "SELECT seq FROM (SELECT f.seq FROM records f"
          + " WHERE f.data_set_id = $1 AND f.seq <= $2"
          + " AND f.row_values ? $3 AND NOT f.row_values ? $4"
          + " AND NOT EXISTS (SELECT 1 FROM records p WHERE p.data_set_id = $5"
          + " AND p.record_id = f.row_values->>$6) OFFSET 0) s ORDER BY seq";

  /**
   * Quality's rows to score, up to {@code lastSeq}: the store positions of labelled feedback rows
   * with no prediction of their own and no payload record under their transaction id, in store
   * order. One hashed anti-join over both data sets (0.75 s over a million each, where a nested
   * loop with a limit probed the payload once per feedback row: 4.2 s with nothing to score); the
   * fence keeps the planner from trading the hash for an ordered scan.
   */
  public Uni<List<Long>> unscored(
      String feedback,
      String payload,
      String label,
      String prediction,
      String transactionIdField,
      long lastSeq) {
    return pool.preparedQuery(UNSCORED)
        .execute(
            Tuple.tuple(
                Arrays.asList(feedback, lastSeq, label, prediction, payload, transactionIdField)))
        .map(
            found -> {
              List<Long> out = new ArrayList<>(found.size());
              found.forEach(r -> out.add(r.getLong(0)));
              return out;
            });
  }

  /** Feedback rows by store position, in store order. */
  public Uni<List<Unscored>> rowsAt(String feedback, List<Long> seqs) {
    return pool.preparedQuery(
            "SELECT seq, record_id, row_values::text FROM records"
                + " WHERE data_set_id = $1 AND seq = ANY($2) ORDER BY seq")
        .execute(Tuple.of(feedback, seqs.toArray(Long[]::new)))
        .map(
            found -> {
              List<Unscored> out = new ArrayList<>();
              found.forEach(
                  r -> out.add(new Unscored(r.getLong(0), r.getString(1), r.getString(2))));
              return out;
            });
  }

  /** The newest store position of a data set (0 when empty). */
  public Uni<Long> lastSeq(String dataSet) {
    return rows.count(
        "SELECT coalesce(max(seq), 0) FROM records WHERE data_set_id = $1", Tuple.of(dataSet));
  }
}
