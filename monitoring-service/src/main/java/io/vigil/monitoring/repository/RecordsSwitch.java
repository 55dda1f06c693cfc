package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import org.jboss.logging.Logger;

/**
 * Turns the {@code records} table of schema V5 that holds rows into the table partitioned by day,
 * online (V6 turns an empty one at once). The API keeps storing and reading throughout; no step
 * holds a lock that blocks them for longer than the final switch (milliseconds, and never longer
 * than {@code lockTimeout}: it gives up and is tried again rather than queue every request behind
 * it). Each step can be interrupted (an instance killed) and is taken again from where the table
 * stands.
 *
 * <ol>
 *   <li>The keys of the rows stored so far are copied into {@code record_keys}, in batches in key
 *       order (V6's trigger keeps the keys of rows older instances store meanwhile; this version
 *       writes its own).
 *   <li>A bound {@code B} after every row's time (at least two days ahead) is checked on the table
 *       as a constraint: added unchecked, then validated while writes go on. A row dated after the
 *       bound arriving meanwhile is refused with 503 (retry), and the check is taken again.
 *   <li>The switch, in one transaction: the table becomes the partition {@code records_before_B}
 *       (every time before B) of a new {@code records} partitioned by range of {@code ts}; the
 *       constraint spares PostgreSQL the scan that attaching would otherwise take under the lock.
 * </ol>
 */
@ApplicationScoped
public class RecordsSwitch {

  private static final Logger LOG = Logger.getLogger(RecordsSwitch.class);
  private static final String BOUND = "records_before_partitions";

  private final Pool pool;

  RecordsSwitch(Pool pool) {
    this.pool = pool;
  }

  /** Whether {@code records} is partitioned already. */
  public Uni<Boolean> done(SqlClient c) {
    return c.query("SELECT relkind = 'p' FROM pg_class WHERE oid = 'records'::regclass")
        .execute()
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /** Takes every step still to take (on a connection of its own, not in a transaction). */
  public Uni<Void> run(SqlClient c, int batch, Duration lockTimeout) {
    long started = System.nanoTime();
    return backfill(c, batch, null, null, 0)
        .chain(
            copied ->
                bound(c)
                    .chain(bound -> swap(bound, lockTimeout))
                    .invoke(
                        bound ->
                            LOG.infof(
                                "records is partitioned by day: %d keys copied, the rows stored"
                                    + " before are the partition records_before_%s (%d ms)",
                                copied,
                                DateTimeFormatter.BASIC_ISO_DATE.format(bound),
                                (System.nanoTime() - started) / 1_000_000)))
        .replaceWithVoid();
  }

  /** Copies keys after ({@code afterSet}, {@code afterId}) in key order; answers how many rows. */
  private Uni<Long> backfill(SqlClient c, int batch, String afterSet, String afterId, long sum) {
    String after = afterSet == null ? "" : " WHERE (data_set_id, record_id) > ($2, $3)";
    return c.preparedQuery(
            "WITH b AS (SELECT data_set_id, record_id, ts, seq FROM records"
                + after
                + " ORDER BY data_set_id, record_id LIMIT $1),"
                + " i AS (INSERT INTO record_keys (data_set_id, record_id, ts, seq) SELECT * FROM b ON CONFLICT DO NOTHING)"
                + " SELECT data_set_id, record_id, (SELECT count(*) FROM b) FROM b"
                + " ORDER BY data_set_id DESC, record_id DESC LIMIT 1")
        .execute(afterSet == null ? Tuple.of(batch) : Tuple.of(batch, afterSet, afterId))
        .chain(
            rows -> {
              if (rows.size() == 0) {
                return Uni.createFrom().item(sum);
              }
              Row last = rows.iterator().next();
              long n = last.getLong(2);
              return n < batch
                  ? Uni.createFrom().item(sum + n)
                  : backfill(c, batch, last.getString(0), last.getString(1), sum + n);
            });
  }

  /**
   * The bound, checked: two days after today or after the newest row, whichever is later. A check
   * left by an earlier attempt is replaced when rows have gone past it.
   */
  private Uni<LocalDate> bound(SqlClient c) {
    return c.query(
            "SELECT (date_trunc('day', greatest(now(), max(ts)) AT TIME ZONE 'UTC') + interval '2 days')::date"
                + " FROM records")
        .execute()
        .map(rows -> rows.iterator().next().getLocalDate(0))
        .chain(
            bound ->
                c.query("ALTER TABLE records DROP CONSTRAINT IF EXISTS " + BOUND)
                    .execute()
                    .chain(
                        () ->
                            c.query(
                                    "ALTER TABLE records ADD CONSTRAINT "
                                        + BOUND
                                        + " CHECK (ts < '"
                                        + bound
                                        + " 00:00:00+00') NOT VALID")
                                .execute())
                    .chain(
                        () -> c.query("ALTER TABLE records VALIDATE CONSTRAINT " + BOUND).execute())
                    .replaceWith(bound));
  }

  /** The switch itself, in one transaction that waits for its locks at most {@code timeout}. */
  private Uni<LocalDate> swap(LocalDate bound, Duration timeout) {
    String before = "records_before_" + DateTimeFormatter.BASIC_ISO_DATE.format(bound);
    return pool.withTransaction(
            t ->
                sequence(
                    t,
                    "SET LOCAL lock_timeout = '" + timeout.toMillis() + "ms'",
                    "ALTER TABLE records RENAME TO " + before,
                    "ALTER INDEX records_pkey RENAME TO " + before + "_pkey",
                    "ALTER INDEX records_by_time RENAME TO " + before + "_by_time",
                    "ALTER INDEX records_by_seq RENAME TO " + before + "_by_seq",
                    "CREATE TABLE records (LIKE "
                        + before
                        + " INCLUDING DEFAULTS)"
                        + " PARTITION BY RANGE (ts)",
                    "ALTER TABLE records ATTACH PARTITION "
                        + before
                        + " FOR VALUES FROM (MINVALUE) TO ('"
                        + bound
                        + " 00:00:00+00')",
                    "CREATE INDEX records_by_time ON ONLY records (data_set_id, ts, seq)",
                    "ALTER INDEX records_by_time ATTACH PARTITION " + before + "_by_time",
                    "CREATE INDEX records_by_seq ON ONLY records (data_set_id, seq)",
                    "ALTER INDEX records_by_seq ATTACH PARTITION " + before + "_by_seq",
                    "ALTER SEQUENCE records_seq_seq OWNED BY records.seq",
                    "DROP TRIGGER record_keys_of_legacy_rows ON " + before,
                    "DROP FUNCTION record_keys_of_legacy_rows()",
                    "ALTER TABLE " + before + " DROP CONSTRAINT " + BOUND))
        .replaceWith(bound);
  }

  private static Uni<Void> sequence(SqlClient c, String... statements) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (String sql : statements) {
      chain = chain.chain(() -> c.query(sql).execute()).replaceWithVoid();
    }
    return chain;
  }
}
