package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.service.RecordLifecycle;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retention: expired days of records disappear by partition, expired rows of a day shared with
 * longer-kept data sets row by row with their keys, newer ones stay, the training data (a drift
 * baseline) stays, a run sees exactly the window that is left, expired measurements go.
 */
@QuarkusTest
class RecordLifecycleTest {

  @Inject RecordLifecycle lifecycle;
  @Inject Pool pool;

  private static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);
  // days far enough back that no other test stores records on them
  private static final LocalDate EXPIRED = TODAY.minusDays(400);
  private static final LocalDate BASELINE = TODAY.minusDays(401);
  private static final LocalDate SHARED = TODAY.minusDays(45);
  private static final LocalDate RECENT = TODAY.minusDays(2);

  @Test
  void expiredDaysAreDroppedSharedDaysTrimmedAndWhatIsKeptStays() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    String feedback = t.dataSet(subscription, "feedback");
    String training = t.dataSet(subscription, "training");
    // the tenant keeps records 60 days and measurements 7; its payload only 30
    patch(t, "/data_marts/" + t.id(), "record_retention_days", 60);
    patch(t, "/data_marts/" + t.id(), "measurement_retention_days", 7);
    patch(t, "/data_sets/" + payload, "retention_days", 30);
    t.api()
        .body(List.of(Map.of("op", "add", "path", "/retention_days", "value", 0)))
        .patch("/data_sets/" + payload)
        .then()
        .statusCode(400);

    // payload: 10 rows on an expired day, 10 on a day feedback shares (expired for payload
    // only), 10 recent; feedback on the expired and the shared day; training on its own old day
    store(t, payload, payloadRows("x", EXPIRED, 10, 5), 10);
    store(t, payload, payloadRows("s", SHARED, 10, 5), 10);
    store(t, payload, payloadRows("r", RECENT, 10, 2), 10);
    store(t, feedback, feedbackRows("fx", EXPIRED), 10);
    store(t, feedback, feedbackRows("fs", SHARED), 10);
    store(t, training, trainingRows(BASELINE), 10);
    assertThat(partitions()).contains(day(EXPIRED), day(SHARED), day(RECENT), day(BASELINE));

    String old = measurement(t, 20);
    String fresh = measurement(t, 1);
    ApiFixture other = ApiFixture.newTenant();
    String kept = measurement(other, 20); // a tenant without a setting keeps everything
    // store requests are readable for a week (store-requests-kept)
    sql(
        "INSERT INTO store_requests (id, service_instance_id, data_set_id, state, records_received,"
            + " records_stored, created_at) VALUES ('lifecycle-old', $1, $2, 'active', 1, 1,"
            + " now() - interval '8 days'), ('lifecycle-new', $1, $2, 'active', 1, 1, now() -"
            + " interval '6 days')",
        t.id(),
        payload);

    pass();
    assertThat(partitions())
        .doesNotContain(day(EXPIRED))
        .contains(day(SHARED), day(RECENT), day(BASELINE));
    assertThat(ids(t, payload)).hasSize(10).allMatch(id -> id.startsWith("r-"));
    assertThat(ids(t, feedback)).hasSize(10).allMatch(id -> id.startsWith("fs-"));
    assertThat(ids(t, training)).hasSize(10);
    t.api().get("/data_sets/" + payload + "/records/x-0").then().statusCode(404);
    t.api().get("/data_sets/" + payload + "/records/s-0").then().statusCode(404);
    t.api().get("/data_sets/" + payload + "/records/r-0").then().statusCode(200);
    assertThat(keys(payload)).isEqualTo(10);
    assertThat(keys(feedback)).isEqualTo(10);

    // the run sees the 10 records left, and measures them: females favoured 2 of 5, males 5 of 5
    String tooMany = fairness(t, subscription, 11);
    String run = t.runUntil(tooMany, "error");
    t.api()
        .get("/monitor_instances/" + tooMany + "/runs/" + run)
        .then()
        .body("entity.status.failure.errors[0].message", containsString("there are 10"));
    String enough = fairness(t, subscription, 10);
    t.runUntil(enough, "finished");
    t.api()
        .get("/monitor_instances/" + enough + "/measurements")
        .then()
        .body(
            "measurements[0].entity.values[0].metrics.find { it.id == 'fairness_value' }.value",
            is(40.0f));

    // measurements: the expired one is gone, the recent one and the other tenant's stay
    assertThat(measurementIds()).doesNotContain(old).contains(fresh, kept);
    assertThat(scalar("SELECT count(*) FROM store_requests WHERE id = 'lifecycle-old'")).isZero();
    assertThat(scalar("SELECT count(*) FROM store_requests WHERE id = 'lifecycle-new'"))
        .isEqualTo(1L);

    // a record sent again after its row expired is stored again (its key went with it), and the
    // next pass takes it away once more
    store(t, payload, payloadRows("s", SHARED, 1, 1), 1);
    pass();
    t.api().get("/data_sets/" + payload + "/records/s-0").then().statusCode(404);
    // a pass with nothing due changes nothing
    assertThat(ids(t, payload)).hasSize(10);
    assertThat(ids(t, training)).hasSize(10);
  }

  @Test
  void aPassCutShortAfterTheKeysIsFinishedByTheNextAndKeepsEverythingNewer() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payload = t.dataSet(subscription, "payload_logging");
    patch(t, "/data_sets/" + payload, "retention_days", 30);
    LocalDate expired = TODAY.minusDays(500);
    store(t, payload, payloadRows("x", expired, 10, 5), 10);
    store(t, payload, payloadRows("r", RECENT, 10, 5), 10);
    // an instance killed mid-drop: the day's keys are gone and it detached the partition, but did
    // not drop it; a leftover of that kind is what the next pass finds
    sql(
        "DELETE FROM record_keys WHERE data_set_id = $1 AND ts < $2",
        payload,
        expired.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC));
    sql("ALTER TABLE records DETACH PARTITION " + day(expired));
    assertThat(partitions()).doesNotContain(day(expired));
    pass();
    assertThat(scalar("SELECT count(*) FROM pg_class WHERE relname = '" + day(expired) + "'"))
        .isEqualTo(0L);
    assertThat(ids(t, payload)).hasSize(10).allMatch(id -> id.startsWith("r-"));
    assertThat(keys(payload)).isEqualTo(10);
  }

  private void pass() {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> lifecycle.pass().await().atMost(Duration.ofSeconds(60)).ran());
  }

  private static void patch(ApiFixture t, String path, String field, int value) {
    t.api()
        .body(List.of(Map.of("op", "add", "path", "/" + field, "value", value)))
        .patch(path)
        .then()
        .statusCode(200)
        .body("entity." + field, is(value));
  }

  private static void store(ApiFixture t, String dataSet, List<Object> rows, int stored) {
    t.api()
        .body(rows)
        .post("/data_sets/" + dataSet + "/records")
        .then()
        .statusCode(202)
        .body("entity.records_stored", is(stored));
  }

  private static String time(LocalDate day, int i) {
    return day + "T10:00:" + String.format("%02d", i) + "Z";
  }

  private static List<Object> payloadRows(String prefix, LocalDate day, int n, int femaleFavoured) {
    return ApiFixture.creditRiskPayload(prefix, i -> time(day, i), n, femaleFavoured);
  }

  private static List<Object> feedbackRows(String prefix, LocalDate day) {
    List<Object> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(
          Map.of(
              "scoring_id",
              prefix + "-" + i,
              "timestamp",
              time(day, i),
              "Age",
              30 + i,
              "Sex",
              "male",
              "LoanAmount",
              1000,
              "Risk",
              "No Risk"));
    }
    return rows;
  }

  private static List<Object> trainingRows(LocalDate day) {
    List<Object> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(
          Map.of(
              "record_timestamp",
              time(day, i),
              "Age",
              30 + i,
              "Sex",
              i % 2 == 0 ? "male" : "female",
              "LoanAmount",
              1000,
              "Risk",
              "No Risk"));
    }
    return rows;
  }

  private static String fairness(ApiFixture t, String subscription, int minRecords) {
    Map<String, Object> parameters = new java.util.HashMap<>(ApiFixture.FAIRNESS_BY_SEX);
    parameters.put("min_records", minRecords);
    return t.monitor("fairness", subscription, Map.of("parameters", parameters));
  }

  private static List<String> ids(ApiFixture t, String dataSet) {
    return t.api()
        .queryParam("limit", 1000)
        .get("/data_sets/" + dataSet + "/records")
        .then()
        .statusCode(200)
        .extract()
        .path("records.metadata.id");
  }

  private String measurement(ApiFixture t, int daysAgo) {
    String id = java.util.UUID.randomUUID().toString();
    sql(
        "INSERT INTO measurements (id, service_instance_id, monitor_instance_id,"
            + " monitor_definition_id, target_type, target_id, ts, issue_count, entity) VALUES ($1,"
            + " $2, 'mi', 'fairness', 'subscription', 'sub', now() - $3 * interval '1 day', 0,"
            + " '{}')",
        id,
        t.id(),
        daysAgo);
    return id;
  }

  private List<String> measurementIds() {
    List<String> ids = new ArrayList<>();
    pool.query("SELECT id FROM measurements")
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30))
        .forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  private List<String> partitions() {
    List<String> names = new ArrayList<>();
    pool.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = 'records'::regclass")
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30))
        .forEach(r -> names.add(r.getString(0)));
    return names;
  }

  private long keys(String dataSet) {
    return scalar("SELECT count(*) FROM record_keys WHERE data_set_id = '" + dataSet + "'");
  }

  private long scalar(String sql) {
    return pool.query(sql)
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30))
        .iterator()
        .next()
        .getLong(0);
  }

  private void sql(String sql, Object... args) {
    pool.preparedQuery(sql).execute(Tuple.from(args)).await().atMost(Duration.ofSeconds(30));
  }

  private static String day(LocalDate d) {
    return "records_" + DateTimeFormatter.BASIC_ISO_DATE.format(d);
  }
}
