package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * The day partitions of {@code records} (partitioned by range of {@code ts}, UTC days). A day's
 * partition is {@code records_YYYYMMDD}; the rows stored before the table was partitioned stay in
 * {@code records_before_YYYYMMDD}, every time before that day ({@link RecordsSwitch}). A store
 * makes sure its days have partitions first ({@link #ensure}): the lifecycle creates them ahead, a
 * record of an odd day gets its own on demand. Names are made here only, from dates.
 */
@ApplicationScoped
public class RecordPartitions {

  private static final Logger LOG = Logger.getLogger(RecordPartitions.class);
  private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

  /** Serializes partition creation across instances (transaction-scoped). */
  private static final long CREATE_LOCK = 7301971;

  /**
   * A partition: rows with {@code from <= ts < to} (UTC days); {@code from} is null for the rows
   * from before partitioning.
   */
  public record Partition(String name, LocalDate from, LocalDate to) {

    static Partition of(String name) {
      if (name.startsWith("records_before_")) {
        return new Partition(name, null, LocalDate.parse(name.substring(15), DAY));
      }
      LocalDate day = LocalDate.parse(name.substring(8), DAY);
      return new Partition(name, day, day.plusDays(1));
    }

    static String nameOf(LocalDate day) {
      return "records_" + DAY.format(day);
    }

    boolean covers(LocalDate day) {
      return (from == null || !day.isBefore(from)) && day.isBefore(to);
    }
  }

  /** What this instance knows of the layout; null until read. */
  private record Layout(boolean partitioned, List<Partition> partitions) {
    boolean covers(LocalDate day) {
      return !partitioned || partitions.stream().anyMatch(p -> p.covers(day));
    }
  }

  private final Pool pool;
  private volatile Layout layout;

  RecordPartitions(Pool pool) {
    this.pool = pool;
  }

  /**
   * Makes sure every day has a partition (free when this instance knows they have, otherwise it
   * reads the layout again and creates those still missing); answers whether records is partitioned
   * (before, during an upgrade, any day goes).
   */
  public Uni<Boolean> ensure(Collection<LocalDate> days) {
    Layout known = layout;
    if (known != null && days.stream().allMatch(known::covers)) {
      return Uni.createFrom().item(known.partitioned());
    }
    return refresh()
        .chain(
            now -> {
              List<LocalDate> missing =
                  days.stream().distinct().filter(d -> !now.covers(d)).toList();
              return missing.isEmpty()
                  ? Uni.createFrom().item(now.partitioned())
                  : create(missing).replaceWith(true);
            });
  }

  /**
   * A WHERE fragment that picks records by id ({@code idMatch}, e.g. {@code "= $3"} or {@code "=
   * ANY($3)"}) of the data set {@code dataSet} (a parameter): once partitioned, through their keys,
   * whose (ts, seq) take the lookup to the one partition and the one index entry that hold each;
   * before, by the table's own key (the keys may still be being copied then).
   */
  public Uni<String> byId(String dataSet, String idMatch) {
    Layout known = layout;
    Uni<Layout> now = known != null ? Uni.createFrom().item(known) : refresh();
    return now.map(
        l ->
            l.partitioned()
                ? " AND (record_id, ts, seq) IN (SELECT record_id, ts, seq FROM record_keys WHERE data_set_id = "
                    + dataSet
                    + " AND record_id "
                    + idMatch
                    + ")"
                : " AND record_id " + idMatch);
  }

  /**
   * Whether a statement failed because the layout changed under this instance's knowledge of it: a
   * row of a day without a partition (another instance dropped it), or a statement for the table
   * before partitioning (another instance switched it).
   */
  public static boolean layoutChanged(Throwable e) {
    return e instanceof PgException pg
        && ("42P10".equals(pg.getSqlState())
            || "23514".equals(pg.getSqlState())
                && pg.getErrorMessage() != null
                && pg.getErrorMessage().startsWith("no partition of relation"));
  }

  /** Forgets the layout; the next {@link #ensure} reads it again. */
  public void forget() {
    layout = null;
  }

  /** The partitions of {@code records} now (empty while it is not partitioned). */
  public Uni<List<Partition>> list(SqlClient c) {
    return read(c).map(Layout::partitions);
  }

  /** Creates the partitions of these days that do not exist (under a lock shared by instances). */
  public Uni<Void> create(Collection<LocalDate> days) {
    TreeSet<LocalDate> sorted = new TreeSet<>(days);
    return pool.withTransaction(
            c ->
                c.query("SELECT pg_advisory_xact_lock(" + CREATE_LOCK + ")")
                    .execute()
                    .chain(() -> read(c))
                    .chain(
                        current -> {
                          Uni<Void> chain = Uni.createFrom().voidItem();
                          if (!current.partitioned()) {
                            return chain;
                          }
                          for (LocalDate day : sorted) {
                            if (!current.covers(day)) {
                              chain = chain.chain(() -> createOne(c, day));
                            }
                          }
                          return chain;
                        }))
        .invoke(this::forget);
  }

  /**
   * One day's partition, created apart and attached: attaching holds only a lock that lets reads
   * and writes of the other partitions go on (creating it in place would block them all). The
   * autovacuum settings are the ones {@code records} had before partitioning (V5).
   */
  private static Uni<Void> createOne(SqlClient c, LocalDate day) {
    String name = Partition.nameOf(day);
    LOG.infof("Creating the partition %s of records", name);
    return c.query(
            "CREATE TABLE IF NOT EXISTS "
                + name
                + " (LIKE records INCLUDING DEFAULTS) WITH (autovacuum_analyze_scale_factor = 0.02,"
                + " autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_insert_scale_factor = 0.05)")
        .execute()
        .chain(
            () ->
                c.query(
                        "ALTER TABLE records ATTACH PARTITION "
                            + name
                            + " FOR VALUES FROM ('"
                            + day
                            + " 00:00:00+00') TO ('"
                            + day.plusDays(1)
                            + " 00:00:00+00')")
                    .execute())
        .replaceWithVoid();
  }

  private Uni<Layout> refresh() {
    return read(pool).invoke(read -> layout = read);
  }

  private static Uni<Layout> read(SqlClient c) {
    return c.query(
            "SELECT k.relkind::text, p.relname FROM pg_class k"
                + " LEFT JOIN pg_inherits i ON i.inhparent = k.oid AND NOT i.inhdetachpending"
                + " LEFT JOIN pg_class p ON p.oid = i.inhrelid"
                + " WHERE k.oid = 'records'::regclass")
        .execute()
        .map(
            rows -> {
              boolean partitioned = false;
              List<Partition> partitions = new ArrayList<>();
              for (Row r : rows) {
                partitioned = "p".equals(r.getString(0));
                if (r.getString(1) != null) {
                  partitions.add(Partition.of(r.getString(1)));
                }
              }
              return new Layout(partitioned, List.copyOf(partitions));
            });
  }

  /** The data sets with rows in a partition: one index probe per data set, not a scan. */
  public Uni<List<String>> dataSetsIn(SqlClient c, Partition p) {
    return c.query(
            "WITH RECURSIVE d AS (SELECT min(data_set_id) AS id FROM "
                + p.name()
                + " UNION ALL SELECT (SELECT min(data_set_id) FROM "
                + p.name()
                + " WHERE data_set_id > d.id) FROM d WHERE d.id IS NOT NULL)"
                + " SELECT id FROM d WHERE id IS NOT NULL")
        .execute()
        .map(
            rows -> {
              List<String> ids = new ArrayList<>();
              rows.forEach(r -> ids.add(r.getString(0)));
              return ids;
            });
  }

  /**
   * Deletes up to {@code batch} rows of one data set older than {@code before} from a partition,
   * with their keys, in one statement (so rows and keys never part); answers how many.
   */
  public Uni<Integer> deleteOlder(
      SqlClient c, Partition p, String dataSetId, LocalDate before, int batch) {
    return c.preparedQuery(
            "WITH gone AS (DELETE FROM "
                + p.name()
                + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
                + p.name()
                + " WHERE data_set_id = $1 AND ts < $2 LIMIT $3))"
                + " RETURNING record_id),"
                + " keys AS (DELETE FROM record_keys k USING gone"
                + " WHERE k.data_set_id = $1 AND k.record_id = gone.record_id)"
                + " SELECT count(*) FROM gone")
        .execute(Tuple.of(dataSetId, midnight(before), batch))
        .map(rows -> rows.iterator().next().getLong(0).intValue());
  }

  /**
   * Drops a partition whose rows have all expired: first the keys of its days (in batches), then
   * the partition, detached without blocking the others. An instance that dies on the way leaves a
   * partition whose keys are partly gone, or one detached: the next pass finishes either ({@link
   * #leftovers}). Nothing but this partition's rows and keys is touched.
   */
  public Uni<Void> drop(SqlClient c, Partition p, List<String> dataSets, int batch) {
    return deleteKeys(c, p, dataSets, batch)
        .chain(
            () ->
                c.query("ALTER TABLE records DETACH PARTITION " + p.name() + " CONCURRENTLY")
                    .execute())
        .chain(() -> c.query("DROP TABLE " + p.name()).execute())
        .invoke(() -> LOG.infof("Dropped the partition %s of records (expired)", p.name()))
        .replaceWithVoid();
  }

  /**
   * Finishes what a dropping instance left: a detach it began (finalized), and tables named like a
   * partition that are no longer attached (partitions are created attached, in one transaction, so
   * such a table is one a drop detached): their keys are deleted and they are dropped.
   */
  public Uni<Void> leftovers(SqlClient c, int batch) {
    return c.query(
            "SELECT p.relname, i.inhdetachpending FROM pg_class p"
                + " LEFT JOIN pg_inherits i ON i.inhrelid = p.oid"
                + " WHERE p.relkind = 'r'"
                + " AND p.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'records'::regclass)"
                + " AND p.relname ~ '^records_(before_)?[0-9]{8}$' AND (i.inhrelid IS NULL OR i.inhdetachpending)")
        .execute()
        .chain(
            rows -> {
              Uni<Void> chain = Uni.createFrom().voidItem();
              for (Row r : rows) {
                Partition p = Partition.of(r.getString(0));
                String finish =
                    Boolean.TRUE.equals(r.getBoolean(1))
                        ? "ALTER TABLE records DETACH PARTITION " + p.name() + " FINALIZE"
                        : "SELECT 1";
                chain =
                    chain
                        .invoke(
                            () ->
                                LOG.infof(
                                    "Finishing the drop of %s, left by an instance that stopped",
                                    p.name()))
                        .chain(() -> c.query(finish).execute())
                        .chain(() -> dataSetsIn(c, p))
                        .chain(ids -> deleteKeys(c, p, ids, batch))
                        .chain(() -> c.query("DROP TABLE " + p.name()).execute())
                        .replaceWithVoid();
              }
              return chain;
            });
  }

  /** Deletes the keys of a partition's rows: those of its data sets within its days. */
  private static Uni<Void> deleteKeys(SqlClient c, Partition p, List<String> ids, int batch) {
    return c.preparedQuery(
            "DELETE FROM record_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM record_keys"
                + " WHERE data_set_id = ANY($1) AND ($2::timestamptz IS NULL OR ts >= $2)"
                + " AND ts < $3 LIMIT $4))")
        .execute(
            Tuple.of(
                ids.toArray(String[]::new),
                p.from() == null ? null : midnight(p.from()),
                midnight(p.to()),
                batch))
        .map(rows -> rows.rowCount())
        .plug(delete -> inBatches(delete, batch))
        .replaceWithVoid();
  }

  /**
   * Runs a delete of at most {@code batch} rows again until it deletes fewer (each run its own
   * statement, so no transaction grows with the data); answers how many rows went in all.
   */
  public static Uni<Long> inBatches(Uni<Integer> delete, int batch) {
    long[] sum = {0};
    return delete
        .invoke(n -> sum[0] += n)
        .repeat()
        .whilst(n -> n == batch)
        .collect()
        .last()
        .map(ignored -> sum[0]);
  }

  private static java.time.OffsetDateTime midnight(LocalDate day) {
    return day.atStartOfDay().atOffset(java.time.ZoneOffset.UTC);
  }
}
