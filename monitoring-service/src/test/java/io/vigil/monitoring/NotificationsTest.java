package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.service.notify.Messages;
import io.vigil.process.WebhookReceiver;
import io.vigil.process.WebhookReceiver.Answer;
import io.vigil.testkit.Management;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Notifications of threshold breaches to real HTTP receivers on loopback: what is sent (webhook
 * JSON, Slack's format, the stable id and the signature), retries with the same id, a receiver that
 * never answers, the address policy, tenancy, and the model metrics on {@code /q/metrics}. Test
 * settings: 1 s per request, retries for 8 s (application.properties, %test).
 */
@QuarkusTest
class NotificationsTest {

  @jakarta.inject.Inject io.vertx.mutiny.sqlclient.Pool pool;

  private WebhookReceiver receiver;

  @BeforeEach
  void receiver() throws Exception {
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void close() {
    receiver.close();
  }

  /**
   * Payload of a credit-risk model: {@code femaleFavourable} of 10 women and all 10 men get a loan.
   */
  private static List<Object> payload(int batch, int femaleFavourable) {
    return ApiFixture.creditRiskPayload("b" + batch, null, 20, femaleFavourable);
  }

  private static String fairness(ApiFixture t, String subscription) {
    return t.monitor(
        "fairness",
        subscription,
        Map.of(
            "parameters",
            Map.of(
                "features",
                List.of(
                    Map.of(
                        "feature",
                        "Sex",
                        "majority",
                        List.of("male"),
                        "minority",
                        List.of("female"))),
                "favourable_class",
                List.of("No Risk"),
                "unfavourable_class",
                List.of("Risk"),
                "min_records",
                20)));
  }

  private static JsonNode json(String body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aFairnessBreachNotifiesWebhookAndSlackOnceThenRecovered() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payloadSet = t.dataSet(subscription, "payload_logging");
    String monitor = fairness(t, subscription);
    String webhook =
        t.create(
            "/integrated_systems",
            Map.of(
                "name",
                "on-call",
                "type",
                "webhook",
                "connection",
                Map.of("url", receiver.url("/hook")),
                "credentials",
                Map.of("secret", "whsec-test-1", "headers", Map.of("X-Team", "risk"))));
    t.create(
        "/integrated_systems",
        Map.of(
            "name",
            "slack",
            "type",
            "slack",
            "credentials",
            Map.of("url", receiver.url("/slack")),
            "parameters",
            Map.of("subscription_ids", List.of(subscription))));
    // credentials are write-only: only their secret id comes back
    t.api()
        .get("/integrated_systems/" + webhook)
        .then()
        .statusCode(200)
        .body("entity.credentials.secret_id", Matchers.notNullValue())
        .body("entity.credentials.secret", Matchers.nullValue())
        .body("entity.status.state", Matchers.is("active"))
        .body(Matchers.not(Matchers.containsString("whsec-test-1")));
    // a change of its receiver is checked again (off the event loop) inside the change's
    // transaction
    t.api()
        .contentType("application/json-patch+json")
        .body(
            List.of(
                Map.of("op", "replace", "path", "/connection/url", "value", receiver.url("/hook"))))
        .patch("/integrated_systems/" + webhook)
        .then()
        .statusCode(200)
        .body("entity.connection.url", Matchers.is(receiver.url("/hook")));

    // women get a loan 1 time in 10, men always: disparate impact 10, far under the threshold
    t.api()
        .body(payload(1, 1))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    String run = t.runUntil(monitor, "finished");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                receiver.received("/hook").size() == 1 && receiver.received("/slack").size() == 1);

    WebhookReceiver.Received hook = receiver.received("/hook").get(0);
    JsonNode body = json(hook.body());
    assertThat(body.path("type").asText()).isEqualTo("breach");
    assertThat(body.path("service_instance_id").asText()).isEqualTo(t.id());
    assertThat(body.path("subscription_id").asText()).isEqualTo(subscription);
    assertThat(body.path("monitor_instance_id").asText()).isEqualTo(monitor);
    assertThat(body.path("monitor_definition_id").asText()).isEqualTo("fairness");
    assertThat(body.path("run_id").asText()).isEqualTo(run);
    assertThat(body.path("console_url").asText()).contains(subscription).contains(monitor);
    JsonNode breach = body.path("breaches").get(0);
    assertThat(breach.path("metric_id").asText()).isEqualTo("fairness_value");
    assertThat(breach.path("value").asDouble())
        .isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(breach.path("threshold").path("type").asText()).isEqualTo("lower_limit");
    assertThat(breach.path("threshold").path("value").asDouble()).isGreaterThan(10.0);
    assertThat(breach.path("tags").toString()).contains("\"feature\"").contains("\"Sex\"");
    // the measurement it names is the run's
    t.api()
        .get(
            "/monitor_instances/"
                + monitor
                + "/measurements/"
                + body.path("measurement_id").asText())
        .then()
        .statusCode(200)
        .body("entity.run_id", Matchers.is(run));
    // headers: the stable id, the signature over the timestamp and the body, the configured header
    assertThat(hook.header("Vigil-Notification-Id")).isEqualTo(body.path("id").asText());
    assertThat(hook.header("X-Team")).isEqualTo("risk");
    assertThat(hook.header("Vigil-Signature"))
        .isEqualTo(
            Messages.signature(
                "whsec-test-1",
                Long.parseLong(hook.header("Vigil-Timestamp")),
                hook.body().getBytes(StandardCharsets.UTF_8)));
    // Slack: text for the notification, blocks for the message, no signature without a secret
    WebhookReceiver.Received slack = receiver.received("/slack").get(0);
    JsonNode message = json(slack.body());
    assertThat(message.path("text").asText()).contains("fairness").contains(subscription);
    assertThat(message.path("blocks").get(0).path("type").asText()).isEqualTo("header");
    assertThat(message.path("blocks").get(1).path("text").path("type").asText())
        .isEqualTo("mrkdwn");
    assertThat(message.path("blocks").get(1).path("text").path("text").asText())
        .contains("fairness_value")
        .contains("Sex");
    assertThat(slack.header("Vigil-Signature")).isNull();
    assertThat(slack.header("Vigil-Notification-Id"))
        .isNotEqualTo(hook.header("Vigil-Notification-Id"));

    // fair data (women as often as men): the next run is within the thresholds, recovered
    t.api()
        .body(payload(2, 10))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    String healthy = t.runUntil(monitor, "finished");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                receiver.received("/hook").size() == 2 && receiver.received("/slack").size() == 2);
    JsonNode recovered = json(receiver.received("/hook").get(1).body());
    assertThat(recovered.path("type").asText()).isEqualTo("recovered");
    assertThat(recovered.path("run_id").asText()).isEqualTo(healthy);
    assertThat(recovered.path("breaches").size()).isZero();
    assertThat(json(receiver.received("/slack").get(1).body()).path("text").asText())
        .contains("back within");

    // a healthy run after a healthy one says nothing
    t.runUntil(monitor, "finished");
    // delivery state through the API
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                t.api()
                    .queryParam("monitor_instance_id", monitor)
                    .get("/notifications")
                    .then()
                    .statusCode(200)
                    .body("notifications", Matchers.hasSize(4))
                    .body(
                        "notifications.entity.status.state",
                        Matchers.everyItem(Matchers.is("delivered")))
                    .body(
                        "notifications.entity.status.last_status_code",
                        Matchers.everyItem(Matchers.is(200))));
    assertThat(receiver.received()).hasSize(4);

    // the model metrics, read from PostgreSQL by every instance
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              String metrics =
                  Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
              String series =
                  "vigil_model_metric_value{feature=\"Sex\",metric=\"fairness_value\",monitor=\"fairness\","
                      + "service_instance=\""
                      + t.id()
                      + "\",subscription=\""
                      + subscription
                      + "\"} 100.0";
              assertThat(metrics).contains(series);
              assertThat(metrics)
                  .contains(
                      "vigil_model_metric_lower_limit{feature=\"Sex\",metric=\"fairness_value\"")
                  .contains("vigil_model_issues{monitor=\"fairness\",service_instance=\"" + t.id())
                  .contains(
                      "vigil_model_last_run_age_seconds{monitor=\"fairness\",service_instance=\""
                          + t.id())
                  .contains(
                      "vigil_monitor_runs_total{outcome=\"finished\",service_instance=\"" + t.id())
                  .contains("vigil_notifications_total{outcome=\"delivered\",type=\"recovered\"}")
                  .contains("vigil_notifications_backlog{measure=\"count\"}")
                  .contains("vigil_model_series_dropped");
            });
  }

  /** A custom monitor's measurement posted by the client notifies like a run's. */
  private static String postBreach(ApiFixture t, String monitor) {
    return t.api()
        .body(
            List.of(
                Map.of(
                    "values",
                    List.of(
                        Map.of(
                            "metrics", List.of(Map.of("id", "fairness_value", "value", 12.5)))))))
        .post("/monitor_instances/" + monitor + "/measurements")
        .then()
        .statusCode(202)
        .extract()
        .path("[0].metadata.id");
  }

  @Test
  void aReceiverAnswering500IsRetriedWithTheSameIdAndAHungOneFailsWithoutStallingRuns() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String monitor = fairness(t, subscription);
    receiver.on("/flaky", n -> Answer.of(n < 3 ? 500 : 200));
    receiver.on("/hung", n -> Answer.hang(Duration.ofSeconds(30)));
    String flaky =
        t.create(
            "/integrated_systems",
            Map.of(
                "name",
                "flaky",
                "type",
                "webhook",
                "connection",
                Map.of("url", receiver.url("/flaky"))));
    String hung =
        t.create(
            "/integrated_systems",
            Map.of(
                "name",
                "hung",
                "type",
                "webhook",
                "connection",
                Map.of("url", receiver.url("/hung"))));
    String measurement = postBreach(t, monitor);

    // 500 three times (one attempt and its two quick retries), then 200 on the next attempt
    await().atMost(Duration.ofSeconds(15)).until(() -> receiver.received("/flaky").size() == 4);
    List<String> ids =
        receiver.received("/flaky").stream()
            .map(r -> r.header("Vigil-Notification-Id"))
            .distinct()
            .toList();
    assertThat(ids).hasSize(1);
    // the receiver has answered 200; the delivery is recorded right after, so wait for that
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                t.api()
                    .get("/notifications/" + ids.get(0))
                    .then()
                    .statusCode(200)
                    .body("entity.status.state", Matchers.is("delivered"))
                    .body("entity.status.attempts", Matchers.is(2))
                    .body("entity.integrated_system_id", Matchers.is(flaky))
                    .body("entity.measurement_id", Matchers.is(measurement)));

    // meanwhile runs go on: a run queued now finishes though the hung receiver holds requests
    t.api()
        .body(payload(1, 10))
        .post("/data_sets/" + t.dataSet(subscription, "payload_logging") + "/records")
        .then()
        .statusCode(202);
    long started = System.nanoTime();
    t.runUntil(monitor, "finished");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

    // the hung receiver: every request times out after 1 s; past retry-for (8 s) it is failed
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonPath failed =
                  t.api()
                      .queryParam("integrated_system_id", hung)
                      .queryParam("state", "failed")
                      .get("/notifications")
                      .then()
                      .statusCode(200)
                      .extract()
                      .jsonPath();
              assertThat(failed.getList("notifications")).hasSize(1);
              assertThat(failed.getString("notifications[0].entity.status.last_error"))
                  .isNotBlank();
              assertThat(failed.getInt("notifications[0].entity.status.attempts"))
                  .isGreaterThanOrEqualTo(2);
            });
  }

  @Test
  void aNotificationWhoseClaimantDiedMidSendIsSentAgainWithTheSameIdOnceItsLeaseRunsOut() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String monitor = fairness(t, subscription);
    String system =
        t.create(
            "/integrated_systems",
            Map.of(
                "name", "r", "type", "webhook", "connection", Map.of("url", receiver.url("/r"))));
    // an instance of another zone claimed it, sent it, and died before recording the answer: the
    // receiver got it once, the outbox holds the dead instance's claim for 3 more seconds
    String id = java.util.UUID.randomUUID().toString();
    String body = "{\"id\": \"" + id + "\", \"type\": \"breach\", \"breaches\": []}";
    pool.preparedQuery(
            "INSERT INTO notifications (id, service_instance_id, integrated_system_id,"
                + " monitor_instance_id, measurement_id, type, body, claimed_by, claimed_until,"
                + " attempts, last_attempt_at) VALUES ($1, $2, $3, $4, 'm-1', 'breach',"
                + " $5::text::jsonb, 'zone-b/dead', now() + interval '3 seconds', 1, now())")
        .execute(io.vertx.mutiny.sqlclient.Tuple.of(id, t.id(), system, monitor, body))
        .await()
        .indefinitely();
    long claimed = System.nanoTime();
    await().atMost(Duration.ofSeconds(15)).until(() -> receiver.received("/r").size() == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - claimed))
        .isGreaterThan(Duration.ofMillis(2500));
    WebhookReceiver.Received again = receiver.received("/r").get(0);
    assertThat(again.header("Vigil-Notification-Id")).isEqualTo(id);
    assertThat(json(again.body()).path("id").asText()).isEqualTo(id);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                t.api()
                    .get("/notifications/" + id)
                    .then()
                    .body("entity.status.state", Matchers.is("delivered"))
                    .body("entity.status.attempts", Matchers.is(2)));
  }

  @Test
  void deniedAddressesBadTypesAndOtherTenantsSystemsAreRefused() {
    ApiFixture t = ApiFixture.newTenant();
    String before = t.api().get("/integrated_systems").then().extract().asString();
    for (String url :
        List.of(
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8080/hook",
            "http://[fe80::1]/hook",
            "http://0.0.0.0/hook",
            "ftp://127.0.0.1/hook",
            "http://user:pw@127.0.0.1/hook")) {
      ApiFixture.isError(
          t.api()
              .body(Map.of("name", "x", "type", "webhook", "connection", Map.of("url", url)))
              .post("/integrated_systems")
              .then(),
          400,
          "invalid_request");
      ApiFixture.isError(
          t.api()
              .body(Map.of("name", "x", "type", "slack", "credentials", Map.of("url", url)))
              .post("/integrated_systems")
              .then(),
          400,
          "invalid_request");
    }
    ApiFixture.isError(
        t.api()
            .body(
                Map.of(
                    "name",
                    "x",
                    "type",
                    "open_pages",
                    "connection",
                    Map.of("url", receiver.url("/"))))
            .post("/integrated_systems")
            .then(),
        400,
        "invalid_request");
    assertThat(t.api().get("/integrated_systems").then().extract().asString()).isEqualTo(before);

    String mine =
        t.create(
            "/integrated_systems",
            Map.of(
                "name",
                "mine",
                "type",
                "webhook",
                "connection",
                Map.of("url", receiver.url("/m"))));
    // a patch to a denied address is refused and changes nothing
    ApiFixture.isError(
        t.api()
            .contentType("application/json-patch+json")
            .body(
                List.of(
                    Map.of(
                        "op",
                        "replace",
                        "path",
                        "/connection/url",
                        "value",
                        "http://169.254.169.254/")))
            .patch("/integrated_systems/" + mine)
            .then(),
        400,
        "invalid_request");
    t.api()
        .get("/integrated_systems/" + mine)
        .then()
        .body("entity.connection.url", Matchers.is(receiver.url("/m")));

    ApiFixture other = ApiFixture.newTenant();
    ApiFixture.isError(other.api().get("/integrated_systems/" + mine).then(), 404, "not_found");
    ApiFixture.isError(other.api().delete("/integrated_systems/" + mine).then(), 404, "not_found");
    ApiFixture.isError(other.api().get("/notifications/nope").then(), 404, "not_found");
    other
        .api()
        .get("/integrated_systems")
        .then()
        .statusCode(200)
        .body("integrated_systems", Matchers.hasSize(0));
    ApiFixture.isError(
        t.api().queryParam("state", "lost").get("/notifications").then(), 400, "invalid_request");
  }
}
