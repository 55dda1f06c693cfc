package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Keeps the planner's statistics of {@code records} current before a monitor run reads it: when
 * more rows changed since the last analyze than 2% of the table (and at least 10,000), the run
 * analyzes it first. Without that, a run right after a bulk load is planned for a table a fraction
 * of its size (the quality join as a nested loop of a million index probes). One instance analyzes
 * at a time (a transaction-scoped advisory lock); the others go on without waiting.
 */
@ApplicationScoped
public class RecordStatistics {

  private static final Logger LOG = Logger.getLogger(RecordStatistics.class);
  private static final long ADVISORY_LOCK = 7301969;

  private final Pool pool;

  RecordStatistics(Pool pool) {
    this.pool = pool;
  }

  /**
   * Analyzes the parts of {@code records} (its day partitions, or the table itself before it was
   * partitioned) whose statistics are stale; answers whether it did. The partitioned parent is left
   * out: analyzing it would analyze every partition again, and the planner sizes each partition's
   * scan from the partition's own statistics.
   */
  public Uni<Boolean> refreshIfStale() {
    return pool.withTransaction(
        c ->
            c.query(
                    "SELECT pg_try_advisory_xact_lock("
                        + ADVISORY_LOCK
                        + "), (SELECT string_agg(quote_ident(s.relname), ', ') FROM pg_stat_user_tables s"
                        + " JOIN pg_class k ON k.oid = s.relid WHERE s.schemaname = current_schema()"
                        + " AND k.relkind = 'r' AND (s.relname = 'records'"
                        + " OR s.relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'records'::regclass))"
                        + " AND s.n_mod_since_analyze > greatest(10000, 0.02 * greatest(s.n_live_tup, k.reltuples)))")
                .execute()
                .chain(
                    rows -> {
                      var r = rows.iterator().next();
                      String stale = r.getString(1);
                      if (!r.getBoolean(0) || stale == null) {
                        return Uni.createFrom().item(false);
                      }
                      long t0 = System.nanoTime();
                      return c.query("ANALYZE " + stale)
                          .execute()
                          .map(
                              done -> {
                                LOG.infof(
                                    "Analyzed %s before a run (stale statistics) in %d ms",
                                    stale, (System.nanoTime() - t0) / 1_000_000);
                                return true;
                              });
                    }));
  }
}
