package io.vigil.monitoring.service.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a notification says: the webhook body (JSON, README "Alerts"), the same as a Slack message
 * ({@code text} and {@code blocks}), and the HMAC signature of a body.
 */
public final class Messages {

  /** A notification about a monitor that breached its thresholds. */
  public static final String BREACH = "breach";

  /** A notification about a monitor back within its thresholds after a breach. */
  public static final String RECOVERED = "recovered";

  private Messages() {}

  /** The metrics of a measurement outside their limits, each with the limit and its tags. */
  static ArrayNode breaches(JsonNode measurement) {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (JsonNode block : measurement.path("values")) {
      for (JsonNode m : block.path("metrics")) {
        double value = m.path("value").asDouble();
        String type = null;
        if (m.path("lower_limit").isNumber() && value < m.path("lower_limit").asDouble()) {
          type = "lower_limit";
        } else if (m.path("upper_limit").isNumber() && value > m.path("upper_limit").asDouble()) {
          type = "upper_limit";
        }
        if (type != null) {
          ObjectNode b = out.addObject();
          b.put("metric_id", m.path("id").asText());
          b.put("value", value);
          b.putObject("threshold").put("type", type).put("value", m.path(type).asDouble());
          b.set("tags", block.path("tags").isArray() ? block.get("tags") : out.arrayNode());
        }
      }
    }
    return out;
  }

  /** The webhook body of a notification. */
  static ObjectNode body(
      String id,
      String type,
      String tenant,
      String measurementId,
      JsonNode measurement,
      String createdAt,
      Optional<String> consoleUrl) {
    ObjectNode b = Json.MAPPER.createObjectNode();
    String subscription = measurement.path("target").path("target_id").asText();
    String monitor = measurement.path("monitor_instance_id").asText();
    b.put("id", id);
    b.put("type", type);
    b.put("created_at", createdAt);
    b.put("service_instance_id", tenant);
    b.put("subscription_id", subscription);
    b.put("monitor_instance_id", monitor);
    b.put("monitor_definition_id", measurement.path("monitor_definition_id").asText());
    b.set("run_id", measurement.path("run_id"));
    b.put("measurement_id", measurementId);
    b.put("measured_at", measurement.path("timestamp").asText());
    b.put("issue_count", measurement.path("issue_count").asInt());
    b.set("breaches", breaches(measurement));
    b.put(
        "console_url",
        consoleUrl.map(u -> u.replaceAll("/+$", "")).orElse("")
            + "/console/#/models/"
            + subscription
            + "/monitors/"
            + monitor);
    return b;
  }

  /** The same notification as a Slack incoming-webhook message. */
  static ObjectNode slack(JsonNode body) {
    String monitor = body.path("monitor_definition_id").asText();
    String subscription = body.path("subscription_id").asText();
    boolean breach = body.path("type").asText().equals(BREACH);
    String headline =
        breach
            ? monitor + " breached " + body.path("issue_count").asInt() + " threshold(s)"
            : monitor + " is back within its thresholds";
    StringBuilder lines = new StringBuilder();
    for (JsonNode b : body.path("breaches")) {
      lines
          .append("• *")
          .append(b.path("metric_id").asText())
          .append("* ")
          .append(b.path("value").asDouble())
          .append(b.path("threshold").path("type").asText().equals("lower_limit") ? " < " : " > ")
          .append(b.path("threshold").path("value").asDouble());
      for (JsonNode tag : b.path("tags")) {
        lines
            .append(" (")
            .append(tag.path("id").asText())
            .append('=')
            .append(tag.path("value").asText())
            .append(')');
      }
      lines.append('\n');
    }
    lines.append("<").append(body.path("console_url").asText()).append("|Open in the console>");
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("text", "Vigil: " + headline + " (subscription " + subscription + ")");
    ArrayNode blocks = out.putArray("blocks");
    blocks
        .addObject()
        .put("type", "header")
        .putObject("text")
        .put("type", "plain_text")
        .put("text", (breach ? "Threshold breached: " : "Recovered: ") + monitor);
    blocks
        .addObject()
        .put("type", "section")
        .putObject("text")
        .put("type", "mrkdwn")
        .put("text", headline + " on subscription `" + subscription + "`\n" + lines);
    ArrayNode context = blocks.addObject().put("type", "context").putArray("elements");
    context
        .addObject()
        .put("type", "mrkdwn")
        .put(
            "text",
            "monitor instance "
                + body.path("monitor_instance_id").asText()
                + " · run "
                + body.path("run_id").asText("-")
                + " · measurement "
                + body.path("measurement_id").asText()
                + " · "
                + body.path("measured_at").asText()
                + " · notification "
                + body.path("id").asText());
    return out;
  }

  /**
   * The {@code Vigil-Signature} of a body sent at {@code timestamp} (Unix seconds): {@code
   * sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">} with the integrated system's secret.
   */
  public static String signature(String secret, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
