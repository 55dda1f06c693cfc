package io.vigil.monitoring.service.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each monitor's query and math on a real PostgreSQL: records written straight into {@code
 * records}, the monitor evaluated on them, the values checked against ones worked out by hand (or
 * scikit-learn's documented examples) in the comments.
 */
@QuarkusTest
class MonitorsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final OffsetDateTime T0 =
      OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  @Inject Pool pool;
  @Inject io.vigil.monitoring.repository.RecordPartitions partitions;
  @Inject QualityMonitor quality;
  @Inject FairnessMonitor fairness;
  @Inject DriftMonitor drift;
  @Inject PerformanceMonitor performance;

  private String tenant;

  @BeforeEach
  void tenant() {
    tenant = "monitors-" + UUID.randomUUID();
    pool.preparedQuery("INSERT INTO service_instances (id, name) VALUES ($1, 'monitors-test')")
        .execute(Tuple.of(tenant))
        .await()
        .indefinitely();
  }

  @Test
  void qualityJoinsFeedbackToPayloadAndMatchesScikitLearn() {
    String payload = dataSet();
    String feedback = dataSet();
    // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75; predictions [0, 0, 0, 1]
    store(
        feedback, 0, Map.of("Risk", "No Risk", "prediction", "No Risk", "probability", probs(.1)));
    store(
        feedback, 1, Map.of("Risk", "No Risk", "prediction", "No Risk", "probability", probs(.4)));
    store(feedback, 2, Map.of("Risk", "Risk", "prediction", "No Risk", "probability", probs(.35)));
    // the fourth row has no prediction: it comes from the payload record it names
    store(feedback, 3, Map.of("Risk", "Risk", "scoring_id", "s-4"));
    storeWithId(payload, "s-4", 3, Map.of("prediction", "Risk", "probability", probs(.8)));
    // a feedback row without a label is not counted
    store(feedback, 4, Map.of("prediction", "Risk"));

    JsonNode values =
        measured(quality, context(payload, feedback, null, params("min_feedback_data_size", 4)));
    assertThat(metric(values, 0, "area_under_roc")).isCloseTo(0.75, within(1e-12));
    assertThat(metric(values, 0, "accuracy")).isEqualTo(0.75);
    assertThat(metric(values, 0, "record_count")).isEqualTo(4.0);

    String five = "min_feedback_data_size";
    assertThat(evaluate(quality, context(payload, feedback, null, params(five, 5))))
        .isInstanceOf(Outcome.Insufficient.class);
  }

  @Test
  void qualityConfusionMatrixIsNegativeThenPositive() {
    String feedback = dataSet();
    // actual [No, No, Risk, Risk], predicted [No, Risk, No, Risk]: TN 1, FP 1, FN 1, TP 1 ...
    String[][] rows = {{"No Risk", "No Risk"}, {"No Risk", "Risk"}, {"Risk", "No Risk"}};
    for (int i = 0; i < rows.length; i++) {
      store(feedback, i, Map.of("Risk", rows[i][0], "prediction", rows[i][1]));
    }
    // ... and two more TP
    store(feedback, 3, Map.of("Risk", "Risk", "prediction", "Risk"));
    store(feedback, 4, Map.of("Risk", "Risk", "prediction", "Risk"));
    store(feedback, 5, Map.of("Risk", "Risk", "prediction", "Risk"));
    Outcome.Measured m =
        (Outcome.Measured)
            evaluate(quality, context("", feedback, null, params("min_feedback_data_size", 6)));
    JsonNode matrix = m.sources().get(0).path("data");
    assertThat(matrix.path("labels").toString()).isEqualTo("[\"No Risk\",\"Risk\"]");
    assertThat(matrix.path("matrix").toString()).isEqualTo("[[1,1],[1,3]]");
    assertThat(metric(m.values(), 0, "precision")).isCloseTo(3.0 / 4, within(1e-12));
    assertThat(metric(m.values(), 0, "recall")).isCloseTo(3.0 / 4, within(1e-12));
  }

  @Test
  void fairnessCountsOnlyTheLatestRecordsPerGroup() {
    String payload = dataSet();
    // 5 old records (outside the window of 10): female, unfavourable
    for (int i = 0; i < 5; i++) {
      store(payload, i, Map.of("Sex", "female", "prediction", "Risk"));
    }
    // the window: female 2 of 4 favourable, male 4 of 6 favourable
    for (int i = 0; i < 10; i++) {
      boolean female = i < 4;
      boolean favourable = female ? i < 2 : i < 8;
      store(
          payload,
          10 + i,
          Map.of("Sex", female ? "female" : "male", "prediction", favourable ? "No Risk" : "Risk"));
    }
    ObjectNode parameters = params("min_records", 10);
    parameters.putArray("favourable_class").add("No Risk");
    ObjectNode feature = parameters.putArray("features").addObject().put("feature", "Sex");
    feature.putArray("majority").add("male");
    feature.putArray("minority").add("female");

    JsonNode values = measured(fairness, context(payload, null, null, parameters));
    // (2/4) / (4/6) × 100 = 75; parity difference 2/4 − 4/6
    assertThat(metric(values, 0, "fairness_value")).isCloseTo(75.0, within(1e-9));
    assertThat(metric(values, 0, "statistical_parity_difference"))
        .isCloseTo(0.5 - 4.0 / 6, within(1e-12));
    assertThat(tag(values, 0, "monitored_count")).isEqualTo("4");
    assertThat(tag(values, 0, "reference_count")).isEqualTo("6");

    parameters.put("min_records", 16);
    assertThat(evaluate(fairness, context(payload, null, null, parameters)))
        .isInstanceOf(Outcome.Insufficient.class);
  }

  @Test
  void driftComparesTheNewestRecordsWithTheOldest() {
    String payload = dataSet();
    // oldest 100: all male; newest 100: all female; Age and the prediction the same in both
    for (int i = 0; i < 200; i++) {
      Map<String, Object> row = new HashMap<>();
      row.put("Sex", i < 100 ? "male" : "female");
      row.put("Age", 20 + i % 50);
      row.put("prediction", i % 2 == 0 ? "Risk" : "No Risk");
      row.put("probability", probs(i % 2 == 0 ? .9 : .2));
      store(payload, i, row);
    }
    ObjectNode parameters = params("min_samples", 100).put("max_samples", 100);
    JsonNode values = measured(drift, context(payload, null, null, parameters));
    // disjoint categories: Jensen-Shannon distance (base 2) 1, the largest there is
    int sex = block(values, "Sex");
    int age = block(values, "Age");
    assertThat(metric(values, sex, "feature_drift_score")).isCloseTo(1.0, within(1e-12));
    assertThat(metric(values, age, "feature_drift_score")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, age, "ks_statistic")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, age, "population_stability_index")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, 0, "prediction_drift_score")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, 0, "confidence_drift_score")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, 0, "feature_drift_score")).isCloseTo(1.0, within(1e-12));
    assertThat(tag(values, 0, "baseline_count")).isEqualTo("100");
    assertThat(tag(values, 0, "payload_count")).isEqualTo("100");
    // the distributions compared, for the console: categories by name, numbers in 10 bins
    Outcome.Measured m =
        (Outcome.Measured) evaluate(drift, context(payload, null, null, parameters));
    JsonNode distributions = m.sources().get(0).path("data");
    assertThat(m.sources().get(0).path("type").asText()).isEqualTo("drift_distributions");
    assertThat(distributions.path("Sex").path("bins").toString())
        .isEqualTo("[\"female\",\"male\"]");
    assertThat(distributions.path("Sex").path("baseline").toString()).isEqualTo("[0,100]");
    assertThat(distributions.path("Sex").path("current").toString()).isEqualTo("[100,0]");
    assertThat(distributions.path("Age").path("bins")).hasSize(10);
    assertThat(distributions.path("Age").path("bins").get(0).asText()).startsWith("20");
    assertThat(distributions.path("Age").path("baseline").toString())
        .isEqualTo(distributions.path("Age").path("current").toString());
  }

  @Test
  void driftBinsEachRecordByItsHighestClassProbabilityWhereverItIs() {
    // oldest 100: the highest probability first; newest 100: the same one last
    ObjectNode parameters = params("min_samples", 100).put("max_samples", 100);
    String reordered = confidences(List.of(.95, .03, .02), List.of(.02, .03, .95));
    JsonNode same = measured(drift, context(reordered, null, null, parameters));
    assertThat(metric(same, 0, "confidence_drift_score")).isCloseTo(0.0, within(1e-12));
    // newest 100 with a highest probability of .55: another bin, the largest distance there is
    String lessSure = confidences(List.of(.95, .03, .02), List.of(.3, .55, .15));
    JsonNode moved = measured(drift, context(lessSure, null, null, parameters));
    assertThat(metric(moved, 0, "confidence_drift_score")).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void driftOverAPayloadWithinMaxSamplesReadsItOnceAsBothSamples() {
    // 200 records, max_samples 1000: the newest and the oldest 1000 are the same 200 records
    String payload = confidences(List.of(.95, .03, .02), List.of(.3, .55, .15));
    ObjectNode parameters = params("min_samples", 100).put("max_samples", 1000);
    JsonNode values = measured(drift, context(payload, null, null, parameters));
    assertThat(tag(values, 0, "baseline_count")).isEqualTo("200");
    assertThat(tag(values, 0, "payload_count")).isEqualTo("200");
    assertThat(metric(values, 0, "confidence_drift_score")).isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, 0, "prediction_drift_score")).isCloseTo(0.0, within(1e-12));
    // a subscription's training data set without records: the payload is the baseline as before
    JsonNode withEmptyTraining = measured(drift, context(payload, null, dataSet(), parameters));
    assertThat(tag(withEmptyTraining, 0, "baseline_count")).isEqualTo("200");
    assertThat(tag(withEmptyTraining, 0, "payload_count")).isEqualTo("200");
  }

  /** A payload data set: 100 records with {@code oldest} probabilities, then 100 with newest. */
  private String confidences(List<Double> oldest, List<Double> newest) {
    String payload = dataSet();
    for (int i = 0; i < 200; i++) {
      store(
          payload,
          i,
          Map.of("Sex", "female", "prediction", "Risk", "probability", i < 100 ? oldest : newest));
    }
    return payload;
  }

  @Test
  void driftPrefersTheTrainingDataAsBaseline() {
    String payload = dataSet();
    String training = dataSet();
    for (int i = 0; i < 100; i++) {
      store(payload, i, Map.of("Sex", "female", "Age", 30, "prediction", "Risk"));
      // the training data names the label column, not the prediction
      store(training, i, Map.of("Sex", "female", "Age", 30, "Risk", "No Risk"));
    }
    ObjectNode parameters = params("min_samples", 100);
    JsonNode values = measured(drift, context(payload, null, training, parameters));
    assertThat(metric(values, block(values, "Sex"), "feature_drift_score"))
        .isCloseTo(0.0, within(1e-12));
    assertThat(metric(values, 0, "prediction_drift_score")).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void performanceCountsTheRecordsSinceThePreviousMeasurement() {
    String payload = dataSet();
    for (int i = 0; i < 7; i++) {
      store(payload, i, Map.of("prediction", "Risk"));
    }
    MonitorContext all = context(payload, null, null, params("unused", 0));
    assertThat(metric(measured(performance, all), 0, "record_count")).isEqualTo(7.0);
    MonitorContext since =
        new MonitorContext(
            all.tenant(),
            all.subscription(),
            all.parameters(),
            all.dataSets(),
            T0.plusSeconds(5).toString());
    assertThat(metric(measured(performance, since), 0, "record_count")).isEqualTo(2.0);
  }

  private String dataSet() {
    return "ds-" + UUID.randomUUID();
  }

  /** Stores a record at {@code T0 + second} s (records' order is their time). */
  private void store(String dataSet, int second, Map<String, Object> values) {
    storeWithId(dataSet, UUID.randomUUID().toString(), second, values);
  }

  private void storeWithId(String dataSet, String id, int second, Map<String, Object> values) {
    partitions
        .ensure(
            List.of(
                T0.plusSeconds(second).atZoneSameInstant(java.time.ZoneOffset.UTC).toLocalDate()))
        .await()
        .indefinitely();
    pool.preparedQuery(
            "INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values,"
                + " request_id) VALUES ($1, $2, $3, $4, $5, 'monitors-test')")
        .execute(Tuple.of(dataSet, id, tenant, T0.plusSeconds(second), new JsonObject(values)))
        .await()
        .indefinitely();
  }

  private static List<Double> probs(double positive) {
    return List.of(1 - positive, positive);
  }

  private static ObjectNode params(String name, int value) {
    return JSON.createObjectNode().put(name, value);
  }

  /** The credit-risk subscription of the API tests, on the given data sets (null: none). */
  private static MonitorContext context(
      String payload, String feedback, String training, JsonNode parameters) {
    ObjectNode subscription = JSON.createObjectNode();
    subscription.putObject("asset").put("problem_type", "binary");
    ObjectNode props = subscription.putObject("asset_properties");
    props.put("label_column", "Risk").put("prediction_field", "prediction");
    props.putArray("probability_fields").add("probability");
    props.putArray("feature_fields").add("Age").add("Sex");
    props.putArray("categorical_fields").add("Sex");
    props.putArray("labels").add("No Risk").add("Risk");
    Map<String, String> dataSets = new HashMap<>();
    dataSets.put("payload_logging", payload);
    if (feedback != null) {
      dataSets.put("feedback", feedback);
    }
    if (training != null) {
      dataSets.put("training", training);
    }
    return new MonitorContext("tenant", subscription, parameters, dataSets, null);
  }

  private static Outcome evaluate(Monitor monitor, MonitorContext context) {
    return monitor.evaluate(context).await().atMost(java.time.Duration.ofSeconds(30));
  }

  private static JsonNode measured(Monitor monitor, MonitorContext context) {
    Outcome outcome = evaluate(monitor, context);
    assertThat(outcome).isInstanceOf(Outcome.Measured.class);
    return ((Outcome.Measured) outcome).values();
  }

  private static double metric(JsonNode values, int block, String id) {
    List<String> ids = new ArrayList<>();
    for (JsonNode m : values.get(block).path("metrics")) {
      if (m.path("id").asText().equals(id)) {
        return m.path("value").asDouble();
      }
      ids.add(m.path("id").asText());
    }
    throw new AssertionError("no metric " + id + " in block " + block + ": " + ids);
  }

  private static String tag(JsonNode values, int block, String id) {
    for (JsonNode t : values.get(block).path("tags")) {
      if (t.path("id").asText().equals(id)) {
        return t.path("value").asText();
      }
    }
    throw new AssertionError("no tag " + id + " in block " + block + ": " + values.get(block));
  }

  /** The block tagged with {@code feature}. */
  private static int block(JsonNode values, String feature) {
    for (int i = 0; i < values.size(); i++) {
      for (JsonNode t : values.get(i).path("tags")) {
        if (t.path("id").asText().equals("feature") && t.path("value").asText().equals(feature)) {
          return i;
        }
      }
    }
    throw new AssertionError("no block for " + feature + ": " + values);
  }
}
