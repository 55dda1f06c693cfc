package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.InstanceRegistrar;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.exporter.ModelMetrics;
import io.vigil.monitoring.health.SchemaMigrator;
import io.vigil.monitoring.repository.MeasurementRepository;
import io.vigil.monitoring.repository.RecordStatistics;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.RunRepository;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.service.monitor.Outcome;
import io.vigil.monitoring.service.notify.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Claims queued monitor runs (any zone's instance may), computes them with a heartbeat, and stores
 * the measurement and the run's end in one transaction that succeeds only while this instance still
 * owns the run. Also queues the runs of scheduled monitor instances that are due.
 */
@ApplicationScoped
public class RunExecutor {

  private static final Logger LOG = Logger.getLogger(RunExecutor.class);

  private final Pool pool;
  private final Vertx vertx;
  private final MonitoringConfig.Runs config;
  private final RunRepository runs;
  private final ResourceRepository resources;
  private final MeasurementRepository measurements;
  private final MonitorEvaluator evaluator;
  private final Outbox outbox;
  private final RecordStatistics statistics;
  private final ModelMetrics metrics;
  private final SchemaMigrator schema;
  private final String owner;
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile boolean stopped;
  private Periodic pollTimer;
  private Periodic scheduleTimer;

  RunExecutor(
      Pool pool,
      Vertx vertx,
      MonitoringConfig config,
      RunRepository runs,
      ResourceRepository resources,
      MeasurementRepository measurements,
      MonitorEvaluator evaluator,
      Outbox outbox,
      RecordStatistics statistics,
      ModelMetrics metrics,
      SchemaMigrator schema,
      InstanceRegistrar registrar) {
    this.pool = pool;
    this.vertx = vertx;
    this.config = config.runs();
    this.runs = runs;
    this.resources = resources;
    this.measurements = measurements;
    this.evaluator = evaluator;
    this.outbox = outbox;
    this.statistics = statistics;
    this.metrics = metrics;
    this.schema = schema;
    this.owner = registrar.instanceId() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  void onStart(@Observes StartupEvent event) {
    if (!config.enabled()) {
      return;
    }
    pollTimer = Periodic.onEventLoop(vertx, config.pollInterval(), this::poll);
    scheduleTimer = Periodic.onEventLoop(vertx, config.scheduleInterval(), this::queueDue);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopped = true;
    if (pollTimer != null) {
      pollTimer.stop();
      scheduleTimer.stop();
    }
  }

  private void queueDue() {
    if (!schema.migrated() || stopped) {
      return;
    }
    runs.queueDue()
        .subscribe()
        .with(
            n -> {
              if (n > 0) {
                LOG.infof("Queued %d scheduled monitor runs", n);
              }
            },
            failure -> LOG.warnf("Could not queue scheduled runs: %s", failure.toString()));
  }

  private void poll() {
    if (!schema.migrated() || stopped || !busy.compareAndSet(false, true)) {
      return;
    }
    runs.claim(owner, config.staleAfter())
        .subscribe()
        .with(
            run -> {
              if (run == null) {
                busy.set(false);
              } else {
                execute(run);
              }
            },
            failure -> {
              LOG.debugf("Could not claim a run: %s", failure.toString());
              busy.set(false);
            });
  }

  private void execute(RunRepository.Run run) {
    Periodic heartbeat =
        Periodic.onEventLoop(
            vertx,
            config.heartbeatInterval(),
            () ->
                runs.heartbeat(run.id(), owner)
                    .subscribe()
                    .with(ok -> {}, f -> LOG.debugf("heartbeat failed: %s", f)));
    LOG.infof(
        "Computing run %s of monitor instance %s (attempt %d)",
        run.id(), run.monitorInstanceId(), run.attempts());
    compute(run)
        .onTermination()
        .invoke(heartbeat::stop)
        .subscribe()
        .with(
            ended -> {
              busy.set(false);
              if (!stopped) {
                vertx.runOnContext(v -> poll());
              }
            },
            failure -> {
              LOG.warnf(
                  "Run %s could not be finished here (%s); another instance will claim it",
                  run.id(), failure.toString());
              busy.set(false);
            });
  }

  private Uni<Boolean> compute(RunRepository.Run run) {
    if (run.attempts() > config.maxAttempts()) {
      return fail(
          run,
          "too_many_attempts",
          "the run was claimed " + run.attempts() + " times without finishing");
    }
    return resources
        .get(run.tenant(), ResourceKind.MONITOR_INSTANCES, run.monitorInstanceId())
        .chain(
            mi -> {
              if (mi == null) {
                return fail(run, "not_found", "the monitor instance was deleted");
              }
              return statistics
                  .refreshIfStale()
                  .onFailure()
                  .recoverWithItem(false)
                  .chain(() -> measurements.list(run.tenant(), mi.id(), null, null, null, 1))
                  .chain(
                      last ->
                          evaluator.evaluate(
                              run.tenant(),
                              mi,
                              last.isEmpty()
                                  ? null
                                  : last.get(0).entity().path("timestamp").asText()))
                  .chain(outcome -> finish(run, mi, outcome));
            })
        .onFailure()
        .recoverWithUni(
            failure -> {
              LOG.errorf(failure, "Run %s failed", run.id());
              return fail(
                  run,
                  "computation_failed",
                  failure.getClass().getSimpleName() + ": " + failure.getMessage());
            });
  }

  private Uni<Boolean> finish(RunRepository.Run run, StoredResource mi, Outcome outcome) {
    if (outcome instanceof Outcome.External external) {
      LOG.infof("Run %s waits for its client: %s", run.id(), external.message());
      return pool.withTransaction(c -> runs.handOver(c, run.id(), owner, external.message()));
    }
    if (outcome instanceof Outcome.Insufficient insufficient) {
      return fail(run, "insufficient_data", insufficient.message());
    }
    if (outcome instanceof Outcome.Failed failed) {
      return fail(run, failed.code(), failed.message());
    }
    Outcome.Measured measured = (Outcome.Measured) outcome;
    String definitionId = mi.entity().path("monitor_definition_id").asText();
    Uni<ObjectNode> definition =
        MonitorDefinitions.BUILT_IN.containsKey(definitionId)
            ? Uni.createFrom().item(MonitorDefinitions.BUILT_IN.get(definitionId))
            : resources
                .get(run.tenant(), ResourceKind.MONITOR_DEFINITIONS, definitionId)
                .map(d -> d == null ? null : d.entity());
    return definition.chain(
        def -> {
          OffsetDateTime now = Instant.now().atOffset(ZoneOffset.UTC);
          ObjectNode entity =
              RunService.entity(
                  mi, def, run.id(), now.toString(), measured.values(), measured.sources());
          return pool.withTransaction(
                  c ->
                      runs.finish(
                              c,
                              run.id(),
                              owner,
                              "finished",
                              null,
                              entity.path("issue_count").asInt() + " issues")
                          .call(
                              owned -> {
                                if (!owned) {
                                  return Uni.createFrom()
                                      .failure(
                                          new IllegalStateException(
                                              "another instance owns run " + run.id() + " now"));
                                }
                                String id = UUID.randomUUID().toString();
                                return measurements
                                    .insert(c, run.tenant(), id, now, entity)
                                    .call(() -> outbox.measured(c, run.tenant(), id, entity));
                              }))
              .invoke(() -> metrics.runEnded(run.tenant(), "finished"));
        });
  }

  private Uni<Boolean> fail(RunRepository.Run run, String code, String message) {
    // the API's error body, as IBM's SDK parses a run's failure: trace and errors
    ObjectNode failure = io.vigil.commons.api.ApiError.of(code, message).json();
    LOG.infof("Run %s ends in error: %s", run.id(), message);
    return pool.withTransaction(
            c -> runs.finish(c, run.id(), owner, "error", failure.toString(), message))
        .invoke(() -> metrics.runEnded(run.tenant(), "error"));
  }
}
