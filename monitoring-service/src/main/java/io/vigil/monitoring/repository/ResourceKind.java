package io.vigil.monitoring.repository;

import java.util.Arrays;
import java.util.List;

/** The configuration resources of the v2 API, with the list filters each one takes. */
public enum ResourceKind {
  DATA_MARTS("data_marts", "data mart", List.of()),
  SERVICE_PROVIDERS("service_providers", "service provider", List.of("service_type")),
  SUBSCRIPTIONS(
      "subscriptions",
      "subscription",
      List.of("data_mart_id", "service_provider_id", "asset.asset_id", "deployment.deployment_id")),
  DATA_SETS("data_sets", "data set", List.of("target.target_id", "target.target_type", "type")),
  MONITOR_DEFINITIONS("monitor_definitions", "monitor definition", List.of()),
  MONITOR_INSTANCES(
      "monitor_instances",
      "monitor instance",
      List.of("data_mart_id", "monitor_definition_id", "target.target_id", "target.target_type")),
  /** Where notifications go: webhooks and Slack (README, Alerts). */
  INTEGRATED_SYSTEMS("integrated_systems", "integrated system", List.of("type"));

  private final String path;
  private final String singular;
  private final List<String> filters;

  ResourceKind(String path, String singular, List<String> filters) {
    this.path = path;
    this.singular = singular;
    this.filters = filters;
  }

  /** Path segment and list key, e.g. {@code subscriptions}. */
  public String path() {
    return path;
  }

  /** Name for messages, e.g. {@code subscription}. */
  public String singular() {
    return singular;
  }

  /** Query parameters that filter lists; dotted names reach into nested objects. */
  public List<String> filters() {
    return filters;
  }

  /**
   * Whether its entity carries {@code status} ({@code {"state": "active"}}): IBM's SDK requires it
   * of data marts, service providers, subscriptions, data sets and monitor instances, and waits on
   * it after every add. Vigil creates them synchronously, so they are active once answered; the
   * field is the server's, never stored from a request.
   */
  public boolean hasStatus() {
    return this != MONITOR_DEFINITIONS;
  }

  /** The kind served at a path segment, or null. */
  public static ResourceKind ofPath(String path) {
    return Arrays.stream(values()).filter(k -> k.path.equals(path)).findFirst().orElse(null);
  }
}
