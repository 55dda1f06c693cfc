package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.repository.RecordPartitions;
import io.vigil.monitoring.repository.RecordStatistics;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A bulk load leaves the day partition of {@code records} it went to without current statistics;
 * the next run analyzes it first, once, and the partition's own autovacuum settings keep up
 * afterwards.
 */
@QuarkusTest
class RecordStatisticsTest {

  @Inject Pool pool;
  @Inject RecordStatistics statistics;
  @Inject RecordPartitions partitions;

  private String scalar(String sql) {
    return pool.query(sql)
            .execute()
            .await()
            .atMost(Duration.ofSeconds(30))
            .iterator()
            .next()
            .getValue(0)
        + "";
  }

  @Test
  void aBulkLoadIsAnalyzedBeforeTheNextRunAndOnlyOnce() {
    String tenant = "stats-" + UUID.randomUUID();
    pool.preparedQuery("INSERT INTO service_instances (id, name) VALUES ($1, 'stats-test')")
        .execute(Tuple.of(tenant))
        .await()
        .atMost(Duration.ofSeconds(10));
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    partitions.ensure(List.of(today)).await().atMost(Duration.ofSeconds(30));
    String partition = "records_" + today.format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE);
    // autovacuum would analyze the bulk load on its own (this partition's scale factor is 2%) and
    // race the guard this test is about: off for this partition while the test runs
    pool.query("ALTER TABLE " + partition + " SET (autovacuum_enabled = false)")
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30));
    // settle: whatever earlier tests stored is analyzed now
    statistics.refreshIfStale().await().atMost(Duration.ofSeconds(60));
    String before =
        scalar(
            "SELECT coalesce(last_analyze::text, 'never') FROM pg_stat_user_tables WHERE relname = '"
                + partition
                + "'");
    pool.preparedQuery(
            "INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values, request_id)"
                + " SELECT $1, 'r-' || g, $1, now(), '{\"Age\": 1}'::jsonb, 'bulk'"
                + " FROM generate_series(1, 60000) g")
        .execute(Tuple.of(tenant))
        .await()
        .atMost(Duration.ofSeconds(60));
    // the activity statistics reach pg_stat_user_tables within a second or so
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> statistics.refreshIfStale().await().atMost(Duration.ofSeconds(60)));
    assertThat(
            scalar(
                "SELECT last_analyze::text FROM pg_stat_user_tables WHERE relname = '"
                    + partition
                    + "'"))
        .isNotEqualTo(before);
    assertThat(
            Long.parseLong(
                scalar(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = '" + partition + "'")))
        .isGreaterThanOrEqualTo(60000);
    // fresh now: the next run does not analyze again
    assertThat(statistics.refreshIfStale().await().atMost(Duration.ofSeconds(60))).isFalse();
    // and the table keeps its own autovacuum settings
    assertThat(
            scalar(
                "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = '"
                    + partition
                    + "'"))
        .contains("autovacuum_analyze_scale_factor=0.02");
    pool.query("ALTER TABLE " + partition + " RESET (autovacuum_enabled)")
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30));
    pool.preparedQuery("DELETE FROM records WHERE data_set_id = $1")
        .execute(Tuple.of(tenant))
        .await()
        .atMost(Duration.ofSeconds(60));
    pool.preparedQuery("DELETE FROM service_instances WHERE id = $1")
        .execute(Tuple.of(tenant))
        .await()
        .atMost(Duration.ofSeconds(60));
  }
}
