package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.service.monitor.Monitor;
import io.vigil.monitoring.service.monitor.MonitorContext;
import io.vigil.monitoring.service.monitor.Outcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Computes a monitor instance's measurement: finds its subscription and the subscription's data
 * sets, then hands them to the {@link Monitor} of its definition (one class per monitor in {@code
 * service.monitor}). A definition Vigil does not compute is {@link Outcome.External}: the client
 * computes it and ends the run.
 */
@ApplicationScoped
public class MonitorEvaluator {

  private final ResourceRepository resources;
  private final Map<String, Monitor> monitors;

  MonitorEvaluator(ResourceRepository resources, Instance<Monitor> monitors) {
    this.resources = resources;
    this.monitors =
        monitors.stream().collect(Collectors.toMap(Monitor::definitionId, Function.identity()));
  }

  /** Evaluates a monitor instance now. */
  public Uni<Outcome> evaluate(
      String tenant, StoredResource monitor, String previousMeasurementTime) {
    ObjectNode e = monitor.entity();
    String definition = e.path("monitor_definition_id").asText();
    if (!e.path("target").path("target_type").asText().equals("subscription")) {
      return insufficient("only subscriptions can be monitored by " + definition);
    }
    Monitor computed = monitors.get(definition);
    if (computed == null) {
      return Uni.createFrom()
          .item(
              new Outcome.External(
                  "'"
                      + definition
                      + "' is computed by the client: waiting for its measurements (POST"
                      + " .../measurements with this run_id) and its end (PATCH .../runs/{id})"));
    }
    String subscriptionId = e.path("target").path("target_id").asText();
    return resources
        .get(tenant, ResourceKind.SUBSCRIPTIONS, subscriptionId)
        .chain(
            subscription ->
                subscription == null
                    ? insufficient("subscription " + subscriptionId + " no longer exists")
                    : dataSets(tenant, subscriptionId)
                        .chain(
                            sets ->
                                computed.evaluate(
                                    new MonitorContext(
                                        tenant,
                                        subscription.entity(),
                                        e.path("parameters"),
                                        sets,
                                        previousMeasurementTime))));
  }

  private static Uni<Outcome> insufficient(String message) {
    return Uni.createFrom().item(new Outcome.Insufficient(message));
  }

  private Uni<Map<String, String>> dataSets(String tenant, String subscriptionId) {
    ObjectNode filter = Json.MAPPER.createObjectNode();
    filter.putObject("target").put("target_type", "subscription").put("target_id", subscriptionId);
    return resources
        .list(tenant, ResourceKind.DATA_SETS, filter)
        .map(
            list -> {
              Map<String, String> byType = new HashMap<>();
              list.forEach(ds -> byType.putIfAbsent(ds.entity().path("type").asText(), ds.id()));
              return byType;
            });
  }
}
