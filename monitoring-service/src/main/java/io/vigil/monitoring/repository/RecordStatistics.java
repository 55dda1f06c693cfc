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

  /** Analyzes {@code records} when its statistics are stale; answers whether it did. */
  public Uni<Boolean> refreshIfStale() {
    return pool.withTransaction(
        c ->
            c.query(
                    "SELECT pg_try_advisory_xact_lock("
                        + ADVISORY_LOCK
                        + "), coalesce((SELECT n_mod_since_analyze > greatest(10000, 0.02 * greatest(n_live_tup, reltuples))"
                        + " FROM pg_stat_user_tables s JOIN pg_class k ON k.oid = s.relid"
                        + " WHERE s.relname = 'records' AND s.schemaname = current_schema()), false)")
                .execute()
                .chain(
                    rows -> {
                      var r = rows.iterator().next();
                      if (!r.getBoolean(0) || !r.getBoolean(1)) {
                        return Uni.createFrom().item(false);
                      }
                      long t0 = System.nanoTime();
                      return c.query("ANALYZE records")
                          .execute()
                          .map(
                              done -> {
                                LOG.infof(
                                    "Analyzed records before a run (stale statistics) in %d ms",
                                    (System.nanoTime() - t0) / 1_000_000);
                                return true;
                              });
                    }));
  }
}
