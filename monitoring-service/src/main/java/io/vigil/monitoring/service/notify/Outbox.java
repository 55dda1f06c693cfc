package io.vigil.monitoring.service.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.NotificationRepository;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.StoredResource;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes the notifications a new measurement calls for, in the transaction that stores it: a {@code
 * breach} when it has issues, a {@code recovered} when it has none and the monitor's previous
 * measurement had; one per integrated system of the tenant that takes the subscription (all of
 * them, or those whose {@code parameters.subscription_ids} name it).
 */
@ApplicationScoped
public class Outbox {

  private final ResourceRepository resources;
  private final NotificationRepository notifications;
  private final Optional<String> consoleUrl;

  Outbox(
      ResourceRepository resources, NotificationRepository notifications, MonitoringConfig config) {
    this.resources = resources;
    this.notifications = notifications;
    this.consoleUrl = config.notifications().consoleUrl();
  }

  /** Writes the notifications of a measurement just inserted with {@code c}. */
  public Uni<Void> measured(SqlClient c, String tenant, String measurementId, JsonNode m) {
    String subscription =
        m.path("target").path("target_type").asText().equals("subscription")
            ? m.path("target").path("target_id").asText()
            : null;
    return resources
        .list(tenant, ResourceKind.INTEGRATED_SYSTEMS, Json.MAPPER.createObjectNode())
        .map(all -> all.stream().filter(s -> takes(s, subscription)).toList())
        .chain(
            systems -> {
              if (systems.isEmpty()) {
                return Uni.createFrom().voidItem();
              }
              Uni<String> type =
                  m.path("issue_count").asInt() > 0
                      ? Uni.createFrom().item(Messages.BREACH)
                      : notifications
                          .previousIssueCount(
                              c, m.path("monitor_instance_id").asText(), measurementId)
                          .map(p -> p != null && p > 0 ? Messages.RECOVERED : null);
              return type.chain(
                  t ->
                      t == null
                          ? Uni.createFrom().voidItem()
                          : write(c, tenant, measurementId, m, t, systems));
            });
  }

  private Uni<Void> write(
      SqlClient c,
      String tenant,
      String measurementId,
      JsonNode m,
      String type,
      List<StoredResource> systems) {
    String now = Instant.now().toString();
    return Multi.createFrom()
        .iterable(systems)
        .onItem()
        .transformToUniAndConcatenate(
            s -> {
              String id = UUID.randomUUID().toString();
              ObjectNode body = Messages.body(id, type, tenant, measurementId, m, now, consoleUrl);
              return notifications.insert(
                  c,
                  id,
                  tenant,
                  s.id(),
                  m.path("monitor_instance_id").asText(),
                  measurementId,
                  m.path("run_id").isTextual() ? m.path("run_id").asText() : null,
                  type,
                  body);
            })
        .collect()
        .last()
        .replaceWithVoid();
  }

  private static boolean takes(StoredResource system, String subscription) {
    JsonNode only = system.entity().path("parameters").path("subscription_ids");
    if (!only.isArray()) {
      return true;
    }
    for (JsonNode id : only) {
      if (id.asText().equals(subscription)) {
        return true;
      }
    }
    return false;
  }
}
