package io.vigil.cli.drill;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.cli.region.MonitoringApi;
import io.vigil.process.WebhookReceiver;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The drills' check on alerts: a fairness monitor over skewed payload (women get a loan 1 time in
 * 10, men always) breaches on every run, so every finished run must reach a webhook receiver on
 * loopback, run by the drill, that takes 0.5 s per request (so sends are in flight when a zone
 * dies). After the drill, every breaching measurement must have a notification the receiver
 * accepted: one it never accepted is lost; one it accepted twice is a duplicate (receivers drop
 * those by {@code Vigil-Notification-Id}).
 */
final class NotificationProbe implements AutoCloseable {

  /** What the receiver got against what the region measured. */
  record Result(int breaches, int accepted, int lost, int duplicated, String detail) {

    /** For the drill's table. */
    String summary() {
      return breaches + " sent, " + lost + " lost, " + duplicated + " duplicated";
    }
  }

  private final MonitoringApi api;
  private final WebhookReceiver receiver;
  private final String monitor;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private NotificationProbe(MonitoringApi api, WebhookReceiver receiver, String monitor) {
    this.api = api;
    this.receiver = receiver;
    this.monitor = monitor;
  }

  /** Sets up the subscription, its skewed payload, the receiver and then the monitor. */
  static NotificationProbe start(MonitoringApi api) throws IOException, InterruptedException {
    String subscription = api.subscription();
    // women get a loan 1 time in 10, men always
    api.storeSkewedPayload(subscription, 1);
    // the receiver first: the monitor's first scheduled run may come at once, and its breach
    // must find the integrated system
    WebhookReceiver receiver = WebhookReceiver.start();
    try {
      return start(api, subscription, receiver);
    } catch (IOException | InterruptedException | RuntimeException e) {
      receiver.close();
      throw e;
    }
  }

  private static NotificationProbe start(
      MonitoringApi api, String subscription, WebhookReceiver receiver)
      throws IOException, InterruptedException {
    receiver.on("/drill", n -> WebhookReceiver.Answer.hang(Duration.ofMillis(500)));
    api.post(
        "/integrated_systems",
        "{\"name\":\"drill receiver\",\"type\":\"webhook\",\"connection\":{\"url\":\""
            + receiver.url("/drill")
            + "\"},\"parameters\":{\"subscription_ids\":[\""
            + subscription
            + "\"]}}");
    String monitor =
        api.monitor(
            subscription,
            "fairness",
            MonitoringApi.FAIRNESS_BY_SEX
                // an upper limit as well, and a schedule (its first run is due at once): the
                // model-health dashboard's limit and schedule series exist after the drill
                + ",\"thresholds\":[{\"metric_id\":\"statistical_parity_difference\","
                + "\"type\":\"upper_limit\",\"value\":0.5}],"
                + "\"schedule\":{\"repeat_interval\":1,\"repeat_unit\":\"hour\"}");
    return new NotificationProbe(api, receiver, monitor);
  }

  /** Queues a run of the monitor; a refused request is counted, not fatal (a zone is down). */
  void tick() {
    try {
      int status =
          api.send("POST", "/monitor_instances/" + monitor + "/runs", "{\"triggered_by\":\"user\"}")
              .statusCode();
      (status == 201 ? queued : refused).incrementAndGet();
    } catch (IOException e) {
      refused.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits (at most {@code patience}) until every queued run ended and no notification of the
   * monitor is pending, then compares the breaching measurements with what the receiver accepted.
   */
  Result finish(Duration patience) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    JsonNode notifications;
    String waitingFor;
    while (true) {
      JsonNode runs = api.get("/monitor_instances/" + monitor + "/runs?limit=1000").path("runs");
      notifications =
          api.get("/notifications?monitor_instance_id=" + monitor + "&limit=1000")
              .path("notifications");
      long open = count(runs, "entity", "status", "state", Set.of("queued", "running"));
      long pending = count(notifications, "entity", "status", "state", Set.of("pending"));
      waitingFor = open + " runs not ended, " + pending + " notifications pending";
      if (open == 0 && pending == 0 || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(1000);
    }
    JsonNode measurements =
        api.get("/monitor_instances/" + monitor + "/measurements?limit=1000").path("measurements");
    Set<String> notified = new HashSet<>();
    Set<String> notificationIds = new HashSet<>();
    notifications.forEach(
        n -> {
          notified.add(n.path("entity").path("measurement_id").asText());
          notificationIds.add(n.path("metadata").path("id").asText());
        });
    int breaches = 0;
    int lost = 0;
    for (JsonNode m : measurements) {
      if (m.path("entity").path("issue_count").asInt() > 0) {
        breaches++;
        if (!notified.contains(m.path("metadata").path("id").asText())) {
          lost++; // a breach without a notification in the outbox
        }
      }
    }
    Set<String> accepted = receiver.acceptedIds();
    for (String id : notificationIds) {
      if (!accepted.contains(id)) {
        lost++; // in the outbox, never accepted by the receiver
      }
    }
    List<WebhookReceiver.Received> all = receiver.received("/drill");
    long acceptedRequests = all.stream().filter(r -> r.answered() / 100 == 2).count();
    int duplicated = (int) (acceptedRequests - accepted.size());
    String detail =
        queued.get()
            + " runs queued ("
            + refused.get()
            + " refused), "
            + measurements.size()
            + " measured; "
            + waitingFor;
    return new Result(breaches, accepted.size(), lost, duplicated, detail);
  }

  private static long count(JsonNode list, String a, String b, String c, Set<String> values) {
    long n = 0;
    for (JsonNode item : list) {
      if (values.contains(item.path(a).path(b).path(c).asText())) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    receiver.close();
  }
}
