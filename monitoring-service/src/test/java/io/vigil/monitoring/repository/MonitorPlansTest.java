package io.vigil.monitoring.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The plans PostgreSQL picks for the monitor queries on a data set of a realistic size (300,000
 * payload records, analyzed): the shape that stays one hashed pass, not one sort per grouping set.
 * (The sorted plan the fence in {@code sampleCountsSql} prevents showed with a million payload
 * records beside a million feedback records, in {@code ./vigil bench ingest}; this size hashes
 * either way, so the test pins the plan, the bench shows what the fence is for.)
 */
@QuarkusTest
class MonitorPlansTest {

  @Inject Pool pool;
  @Inject RecordPartitions partitions;

  @Test
  void driftAndFairnessOverAWholePayloadAreOneHashedPassWithoutSorting() {
    String tenant = tenant();
    String dataSet = "plans-" + UUID.randomUUID();
    pool.preparedQuery(
            "INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values,"
                + " request_id)"
                + " SELECT $1, 'r-' || i, $2, now(), jsonb_build_object('Age', 20 + i % 50,"
                + " 'Sex', CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,"
                + " 'LoanAmount', 1000 + i % 5000,"
                + " 'probability', CASE WHEN i % 4 = 0 THEN '[0.3, 0.7]'::jsonb"
                + " ELSE '[0.8, 0.2]'::jsonb END,"
                + " 'prediction', CASE WHEN i % 4 = 0 THEN 'Risk' ELSE 'No Risk' END),"
                + " 'plans-test' FROM generate_series(1, 300000) i")
        .execute(Tuple.of(dataSet, tenant))
        .await()
        .indefinitely();
    pool.query("ANALYZE records").execute().await().atMost(java.time.Duration.ofSeconds(120));

    List<Object> args =
        new ArrayList<>(
            List.of(
                dataSet, "prediction", "prediction", "probability", "Age", "Sex", "LoanAmount"));
    String sql = MonitorQueries.sampleCountsSql(3, false, true);
    String plan = explain(sql, args);
    assertThat(plan).as(plan).contains("HashAggregate").doesNotContain("Sort");

    // and the pass counts what the data holds: 300,000 predictions, two confidence bins
    long predictions = 0;
    List<Object> bins = new ArrayList<>();
    for (Row r :
        pool.preparedQuery(sql)
            .execute(Tuple.tuple(args))
            .await()
            .atMost(java.time.Duration.ofSeconds(120))) {
      if (r.getInteger(0) == 0) {
        predictions += r.getLong(10);
      } else if (r.getInteger(1) == 0) {
        bins.add(r.getValue(6));
      }
    }
    assertThat(predictions).isEqualTo(300_000);
    assertThat(bins).containsExactlyInAnyOrder(7, 8);

    // fairness over all of them (min_records is the whole data set): the same hashed pass
    List<Object> fairnessArgs = List.of(dataSet, "prediction", "Sex");
    String fairness = MonitorQueries.predictionsByFeatureSql(1, false);
    String fairnessPlan = explain(fairness, fairnessArgs);
    assertThat(fairnessPlan).as(fairnessPlan).contains("HashAggregate").doesNotContain("Sort");
    long counted = 0;
    for (Row r :
        pool.preparedQuery(fairness)
            .execute(Tuple.tuple(fairnessArgs))
            .await()
            .atMost(java.time.Duration.ofSeconds(120))) {
      counted += r.getLong(3);
    }
    assertThat(counted).isEqualTo(300_000);
  }

  @Test
  void findingFeedbackToScoreIsOneHashedAntiJoinNotAProbePerRow() {
    String tenant = tenant();
    String payload = "plans-" + UUID.randomUUID();
    String feedback = "plans-" + UUID.randomUUID();
    // 300,000 payload records and their labels; the last 10 labels have no payload record
    pool.preparedQuery(
            "INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values,"
                + " request_id)"
                + " SELECT $1, 'p-' || i, $3, now(), jsonb_build_object('prediction', 'Risk'),"
                + " 'plans-test' FROM generate_series(1, 300000) i"
                + " UNION ALL SELECT $2, 'f-' || i, $3, now(), jsonb_build_object('scoring_id',"
                + " 'p-' || i, 'Risk', 'No Risk'), 'plans-test' FROM generate_series(1, 300010) i")
        .execute(Tuple.of(payload, feedback, tenant))
        .await()
        .indefinitely();
    pool.query("ANALYZE records").execute().await().atMost(java.time.Duration.ofSeconds(120));

    List<Object> args =
        List.of(feedback, Long.MAX_VALUE, "Risk", "prediction", payload, "scoring_id");
    String plan = explain(MonitorQueries.UNSCORED, args);
    assertThat(plan).as(plan).contains("Hash Anti Join").doesNotContain("Nested Loop");
    assertThat(
            pool.preparedQuery(MonitorQueries.UNSCORED)
                .execute(Tuple.tuple(args))
                .await()
                .indefinitely()
                .size())
        .isEqualTo(10);
  }

  /** A tenant of its own for the records. */
  @Test
  void aLookupByIdReadsOnlyTheDayItsKeyNames() {
    String tenant = tenant();
    String dataSet = "plans-" + UUID.randomUUID();
    java.time.LocalDate day = java.time.LocalDate.of(2024, 3, 10);
    partitions
        .ensure(List.of(day, day.plusDays(1), day.plusDays(2)))
        .await()
        .atMost(java.time.Duration.ofSeconds(120));
    // 3 days of 20,000 records each, with their keys, as stores write them; every record of a day
    // has the same time (as a store's records without a time of their own have)
    pool.preparedQuery(
            "WITH r AS (SELECT $1::text AS ds, 'r-' || i AS id,"
                + " $3::timestamptz + (i % 3) * interval '1 day' + interval '1 hour' AS ts,"
                + " nextval('records_seq_seq') AS seq FROM generate_series(1, 60000) i),"
                + " k AS (INSERT INTO record_keys SELECT ds, id, ts, seq FROM r)"
                + " INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values,"
                + " request_id, seq) SELECT ds, id, $2, ts, '{}'::jsonb, 'plans-test', seq FROM r")
        .execute(Tuple.of(dataSet, tenant, day.atStartOfDay().atOffset(java.time.ZoneOffset.UTC)))
        .await()
        .indefinitely();
    pool.query("ANALYZE record_keys").execute().await().atMost(java.time.Duration.ofSeconds(120));
    String where = partitions.byId("$1", "= $3").await().atMost(java.time.Duration.ofSeconds(120));
    String sql =
        "SELECT record_id FROM records WHERE data_set_id = $1 AND service_instance_id = $2" + where;
    List<Object> args = List.of(dataSet, tenant, "r-4"); // 4 % 3 = 1: the second day
    StringBuilder plan = new StringBuilder();
    for (Row r :
        pool.preparedQuery("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
            .execute(Tuple.tuple(args))
            .await()
            .indefinitely()) {
      plan.append(r.getString(0)).append('\n');
    }
    String text = plan.toString();
    org.jboss.logging.Logger.getLogger(MonitorPlansTest.class).infof("lookup by id:%n%s", text);
    String second =
        "records_" + java.time.format.DateTimeFormatter.BASIC_ISO_DATE.format(day.plusDays(1));
    // the other days' partitions are never read (pruned when the plan is made or when it runs),
    // and in its day the lookup goes straight to the one row, not through the day's 20,000
    for (String line : text.split("\n")) {
      if (line.contains(" on records_") && !line.contains(second)) {
        assertThat(line).as(text).contains("never executed");
      }
    }
    assertThat(text).as(text).contains(second).doesNotContain("Rows Removed by Filter");
    List<String> found = new ArrayList<>();
    pool.preparedQuery(sql)
        .execute(Tuple.tuple(args))
        .await()
        .indefinitely()
        .forEach(r -> found.add(r.getString(0)));
    assertThat(found).containsExactly("r-4");
  }

  /** A tenant of its own, and today's partition of records for the rows the test loads. */
  private String tenant() {
    partitions
        .ensure(List.of(java.time.LocalDate.now(java.time.ZoneOffset.UTC)))
        .await()
        .indefinitely();
    String tenant = "plans-" + UUID.randomUUID();
    pool.preparedQuery("INSERT INTO service_instances (id, name) VALUES ($1, 'plans-test')")
        .execute(Tuple.of(tenant))
        .await()
        .indefinitely();
    return tenant;
  }

  private String explain(String sql, List<Object> args) {
    StringBuilder plan = new StringBuilder();
    for (Row r :
        pool.preparedQuery("EXPLAIN " + sql)
            .execute(Tuple.tuple(args))
            .await()
            .atMost(java.time.Duration.ofSeconds(120))) {
      plan.append(r.getString(0)).append('\n');
    }
    return plan.toString();
  }
}
