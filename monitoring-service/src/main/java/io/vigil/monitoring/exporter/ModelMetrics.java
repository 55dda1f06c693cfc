package io.vigil.monitoring.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vigil.commons.api.Json;
import io.vigil.commons.schedule.Periodic;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.health.SchemaMigrator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Model metrics for Prometheus. The gauges (latest value of every metric with its limits, issues,
 * age of the last finished run, schedule, the outbox's backlog) are read from PostgreSQL every
 * {@code refresh-interval}, so every instance exports the same values: rules and panels take {@code
 * max} over instances, never {@code sum}. The counters (runs ended, notification attempts) count
 * what this instance did: summed over instances they count each event once.
 */
@ApplicationScoped
public class ModelMetrics {

  private static final Logger LOG = Logger.getLogger(ModelMetrics.class);

  /** Latest measurement and last finished run of every monitor instance. */
  private static final String LATEST =
      "SELECT r.service_instance_id, r.entity->'target'->>'target_id', r.entity->>'monitor_definition_id',"
          + " m.issue_count, m.vals::text, extract(epoch FROM now() - lr.completed_at)::float8,"
          + " CASE r.entity->'schedule'->>'repeat_unit' WHEN 'minute' THEN 60 WHEN 'hour' THEN 3600"
          + " WHEN 'day' THEN 86400 WHEN 'week' THEN 604800 WHEN 'month' THEN 2592000"
          + " WHEN 'year' THEN 31536000 END * (r.entity->'schedule'->>'repeat_interval')::float8"
          + " FROM resources r"
          + " LEFT JOIN LATERAL (SELECT issue_count, entity->'values' AS vals FROM measurements"
          + " WHERE monitor_instance_id = r.id ORDER BY ts DESC LIMIT 1) m ON true"
          + " LEFT JOIN LATERAL (SELECT completed_at FROM monitor_runs WHERE monitor_instance_id = r.id"
          + " AND status = 'finished' ORDER BY queued_at DESC LIMIT 1) lr ON true"
          + " WHERE r.kind = 'monitor_instances' AND r.entity->'target'->>'target_type' = 'subscription'"
          + " ORDER BY r.service_instance_id, r.id";

  private static final String BACKLOG =
      "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8"
          + " FROM notifications WHERE state = 'pending'";

  private final Pool pool;
  private final Vertx vertx;
  private final MeterRegistry registry;
  private final SchemaMigrator schema;
  private final MonitoringConfig.ModelMetrics config;
  private final MultiGauge value;
  private final MultiGauge lower;
  private final MultiGauge upper;
  private final MultiGauge issues;
  private final MultiGauge lastRunAge;
  private final MultiGauge schedule;
  private final MultiGauge backlog;
  private final AtomicLong dropped = new AtomicLong();
  private Periodic timer;

  ModelMetrics(
      Pool pool,
      Vertx vertx,
      MeterRegistry registry,
      SchemaMigrator schema,
      MonitoringConfig config) {
    this.pool = pool;
    this.vertx = vertx;
    this.registry = registry;
    this.schema = schema;
    this.config = config.modelMetrics();
    this.value =
        gauge("vigil_model_metric_value", "Latest value of a model metric (max over instances)");
    this.lower = gauge("vigil_model_metric_lower_limit", "Lower threshold of a model metric");
    this.upper = gauge("vigil_model_metric_upper_limit", "Upper threshold of a model metric");
    this.issues =
        gauge("vigil_model_issues", "Metrics outside their thresholds in the latest measurement");
    this.lastRunAge =
        gauge(
            "vigil_model_last_run_age_seconds",
            "Seconds since the monitor's last finished run (at the last refresh)");
    this.schedule =
        gauge("vigil_model_schedule_seconds", "Interval of a scheduled monitor, in seconds");
    this.backlog =
        gauge("vigil_notifications_backlog", "Pending notifications and the age of the oldest");
  }

  private MultiGauge gauge(String name, String description) {
    return MultiGauge.builder(name).description(description).register(registry);
  }

  void onStart(@Observes StartupEvent event) {
    io.micrometer.core.instrument.Gauge.builder(
            "vigil_model_series_dropped", dropped, AtomicLong::doubleValue)
        .description("Model metric series left out past vigil.monitoring.model-metrics.max-series")
        .strongReference(true)
        .register(registry);
    timer = Periodic.onEventLoop(vertx, config.refreshInterval(), this::refresh);
    vertx.runOnContext(v -> refresh());
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
    for (MultiGauge g : List.of(value, lower, upper, issues, lastRunAge, schedule, backlog)) {
      g.register(List.of(), true);
    }
    registry.find("vigil_model_series_dropped").meters().forEach(registry::remove);
  }

  /** A run ended in this instance: {@code finished} or {@code error}. */
  public void runEnded(String tenant, String outcome) {
    Counter.builder("vigil_monitor_runs_total")
        .description("Monitor runs this instance ended, by outcome")
        .tags("service_instance", tenant, "outcome", outcome)
        .register(registry)
        .increment();
  }

  /**
   * An attempt to deliver a notification ({@code breach} or {@code recovered}) ended in this
   * instance: {@code delivered}, {@code retried} (failed, tried again later) or {@code failed}
   * (given up).
   */
  public void delivery(String type, String outcome) {
    Counter.builder("vigil_notifications_total")
        .description("Notification attempts this instance ended, by outcome")
        .tags("type", type, "outcome", outcome)
        .register(registry)
        .increment();
  }

  /**
   * A scoring request to a model deployment (label-only feedback) ended: {@code scored} with the
   * rows it scored, or {@code failed} (after its retries, or refused by an open circuit breaker).
   */
  public void scoring(String outcome, int rows) {
    Counter.builder("vigil_scoring_requests_total")
        .description("Scoring requests to model deployments this instance ended, by outcome")
        .tags("outcome", outcome)
        .register(registry)
        .increment();
    Counter.builder("vigil_scoring_rows_total")
        .description("Feedback rows scored through model deployments by this instance")
        .register(registry)
        .increment(rows);
  }

  private void refresh() {
    if (!schema.migrated()) {
      return;
    }
    pool.query(LATEST)
        .execute()
        .chain(
            monitors ->
                pool.query(BACKLOG)
                    .execute()
                    .invoke(
                        b -> {
                          publish(monitors);
                          Row r = b.iterator().next();
                          backlog.register(
                              List.of(
                                  MultiGauge.Row.of(
                                      Tags.of("measure", "count"), r.getLong(0).doubleValue()),
                                  MultiGauge.Row.of(
                                      Tags.of("measure", "oldest_seconds"), r.getDouble(1))),
                              true);
                        }))
        .subscribe()
        .with(ok -> {}, f -> LOG.debugf("Model metrics not refreshed: %s", f.toString()));
  }

  private void publish(Iterable<Row> monitors) {
    List<MultiGauge.Row<?>> values = new ArrayList<>();
    List<MultiGauge.Row<?>> lowers = new ArrayList<>();
    List<MultiGauge.Row<?>> uppers = new ArrayList<>();
    List<MultiGauge.Row<?>> issueRows = new ArrayList<>();
    List<MultiGauge.Row<?>> ages = new ArrayList<>();
    List<MultiGauge.Row<?>> schedules = new ArrayList<>();
    int series = 0;
    long left = 0;
    for (Row r : monitors) {
      Tags monitor =
          Tags.of(
              "service_instance",
              r.getString(0),
              "subscription",
              r.getString(1),
              "monitor",
              r.getString(2));
      if (r.getValue(5) != null) {
        ages.add(MultiGauge.Row.of(monitor, r.getDouble(5)));
      }
      if (r.getValue(6) != null) {
        schedules.add(MultiGauge.Row.of(monitor, r.getDouble(6)));
      }
      if (r.getValue(3) == null) {
        continue;
      }
      issueRows.add(MultiGauge.Row.of(monitor, r.getInteger(3)));
      for (JsonNode block : values(r.getString(4))) {
        String feature = "";
        for (JsonNode tag : block.path("tags")) {
          if (tag.path("id").asText().equals("feature")) {
            feature = tag.path("value").asText();
          }
        }
        for (JsonNode m : block.path("metrics")) {
          if (series >= config.maxSeries()) {
            left++;
            continue;
          }
          series++;
          Tags tags = monitor.and("metric", m.path("id").asText(), "feature", feature);
          values.add(MultiGauge.Row.of(tags, m.path("value").asDouble()));
          if (m.path("lower_limit").isNumber()) {
            lowers.add(MultiGauge.Row.of(tags, m.path("lower_limit").asDouble()));
          }
          if (m.path("upper_limit").isNumber()) {
            uppers.add(MultiGauge.Row.of(tags, m.path("upper_limit").asDouble()));
          }
        }
      }
    }
    value.register(values, true);
    lower.register(lowers, true);
    upper.register(uppers, true);
    issues.register(issueRows, true);
    lastRunAge.register(ages, true);
    schedule.register(schedules, true);
    dropped.set(left);
  }

  private static JsonNode values(String text) {
    try {
      return text == null ? Json.MAPPER.createArrayNode() : Json.MAPPER.readTree(text);
    } catch (IOException e) {
      return Json.MAPPER.createArrayNode();
    }
  }
}
