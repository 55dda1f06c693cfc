package io.vigil.monitoring.service;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.RecordPartitions;
import io.vigil.monitoring.repository.RecordPartitions.Partition;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What retention deletes, in a lifecycle pass ({@link RecordLifecycle} holds the turn). A data
 * set's retention is its {@code retention_days}, else its data mart's {@code
 * record_retention_days}, except training data sets: a drift baseline is kept unless its own
 * setting says otherwise. A record expires at the end of the UTC day {@code retention_days} after
 * its time; without any setting nothing is deleted. Every statement selects expired rows only.
 */
@ApplicationScoped
public class Retention {

  /** What a pass over the records deleted. */
  public record Deleted(int dropped, long deleted) {}

  private final MonitoringConfig.Lifecycle config;
  private final RecordPartitions partitions;

  Retention(MonitoringConfig config, RecordPartitions partitions) {
    this.config = config.lifecycle();
    this.partitions = partitions;
  }

  /**
   * Retention of records, partition by partition (today's and later ones are never due): a day
   * whose rows have all expired is dropped whole; in a day shared with data sets kept longer, the
   * expired data sets' rows are deleted in batches, each with its keys.
   */
  public Uni<Deleted> records(SqlClient c, LocalDate today) {
    int[] dropped = {0};
    long[] deleted = {0};
    return retentions(c)
        .chain(
            retention ->
                partitions
                    .list(c)
                    .chain(
                        all -> {
                          Uni<Void> chain = Uni.createFrom().voidItem();
                          for (Partition p : all) {
                            if (p.to().isAfter(today)) {
                              continue;
                            }
                            chain =
                                chain.chain(
                                    () ->
                                        partitions
                                            .dataSetsIn(c, p)
                                            .chain(
                                                ids ->
                                                    expire(
                                                        c, p, ids, retention, today, dropped,
                                                        deleted)));
                          }
                          return chain;
                        }))
        .map(ignored -> new Deleted(dropped[0], deleted[0]));
  }

  private Uni<Void> expire(
      SqlClient c,
      Partition p,
      List<String> ids,
      Map<String, Integer> retention,
      LocalDate today,
      int[] dropped,
      long[] deleted) {
    boolean whole = true;
    Map<String, LocalDate> due = new HashMap<>();
    for (String id : ids) {
      Integer days = retention.get(id);
      LocalDate cutoff = days == null ? null : today.minusDays(days);
      if (cutoff == null || p.to().isAfter(cutoff)) {
        whole = false;
      }
      if (cutoff != null && (p.from() == null || p.from().isBefore(cutoff))) {
        due.put(id, cutoff);
      }
    }
    // an empty day is dropped two days on (a late record makes it again)
    if (whole && (!ids.isEmpty() || p.to().isBefore(today.minusDays(1)))) {
      dropped[0]++;
      return partitions.drop(c, p, ids, config.batch());
    }
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (Map.Entry<String, LocalDate> d : due.entrySet()) {
      chain =
          chain.chain(
              () ->
                  RecordPartitions.inBatches(
                          partitions.deleteOlder(c, p, d.getKey(), d.getValue(), config.batch()),
                          config.batch())
                      .invoke(n -> deleted[0] += n)
                      .replaceWithVoid());
    }
    return chain;
  }

  /** Each data set's retention in days; data sets kept forever are absent. */
  private static Uni<Map<String, Integer>> retentions(SqlClient c) {
    return c.query(
            "SELECT d.id, coalesce((d.entity->>'retention_days')::int,"
                + " CASE WHEN d.entity->>'type' = 'training' THEN NULL"
                + " ELSE (m.entity->>'record_retention_days')::int END)"
                + " FROM resources d LEFT JOIN resources m ON m.service_instance_id = d.service_instance_id"
                + " AND m.kind = 'data_marts' AND m.id = d.service_instance_id"
                + " WHERE d.kind = 'data_sets'")
        .execute()
        .map(
            rows -> {
              Map<String, Integer> out = new HashMap<>();
              for (Row r : rows) {
                if (r.getInteger(1) != null) {
                  out.put(r.getString(0), r.getInteger(1));
                }
              }
              return out;
            });
  }

  /**
   * Deletes the measurements older than their data mart's setting, and the store requests older
   * than {@code store-requests-kept}; answers how many measurements went.
   */
  public Uni<Long> measurements(SqlClient c, LocalDate today) {
    return inBatches(
            c,
            "DELETE FROM measurements WHERE ctid = ANY(ARRAY(SELECT x.ctid FROM measurements x"
                + " JOIN resources m ON m.service_instance_id = x.service_instance_id"
                + " AND m.kind = 'data_marts' AND m.id = x.service_instance_id"
                + " AND m.entity ? 'measurement_retention_days'"
                + " WHERE x.ts < ($1::date - (m.entity->>'measurement_retention_days')::int)::timestamp"
                + " AT TIME ZONE 'UTC' LIMIT $2))",
            today)
        .call(
            () ->
                inBatches(
                    c,
                    "DELETE FROM store_requests WHERE ctid = ANY(ARRAY(SELECT ctid FROM store_requests"
                        + " WHERE created_at < $1 LIMIT $2))",
                    OffsetDateTime.now(ZoneOffset.UTC).minus(config.storeRequestsKept())));
  }

  private Uni<Long> inBatches(SqlClient c, String sql, Object first) {
    return RecordPartitions.inBatches(
        c.preparedQuery(sql).execute(Tuple.of(first, config.batch())).map(rows -> rows.rowCount()),
        config.batch());
  }
}
