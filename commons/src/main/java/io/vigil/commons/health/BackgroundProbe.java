package io.vigil.commons.health;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vigil.commons.schedule.Periodic;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.jboss.logging.Logger;

/**
 * A dependency probe run in the background at a fixed interval whose last outcome is served from
 * memory, so health endpoints are cheap at any probe rate (DESIGN.md §3). One probe runs at a time;
 * a probe that does not answer within its timeout counts as a failure.
 */
public final class BackgroundProbe {

  private static final Logger LOG = Logger.getLogger(BackgroundProbe.class);

  /** The last outcome: up or down, what was seen, since when the state holds, when last checked. */
  public record Outcome(boolean up, String detail, Instant since, Instant checkedAt) {}

  private final String dependency;
  private final Duration interval;
  private final Duration timeout;
  private final Supplier<Uni<String>> probe;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile Outcome outcome;
  private volatile boolean probed;
  private Vertx vertx;
  private Periodic timer;

  /**
   * @param dependency what is probed, named in health data (e.g. {@code postgresql-primary})
   * @param interval time between probes
   * @param timeout how long one probe may take
   * @param probe answers a short description when the dependency is usable, fails otherwise
   */
  public BackgroundProbe(
      String dependency, Duration interval, Duration timeout, Supplier<Uni<String>> probe) {
    this.dependency = dependency;
    this.interval = interval;
    this.timeout = timeout;
    this.probe = probe;
    Instant now = Instant.now();
    this.outcome = new Outcome(false, "not probed yet", now, now);
  }

  /** Starts probing now and then every interval, on the given Vert.x instance. */
  public synchronized void start(Vertx vertx) {
    if (this.vertx != null) {
      return;
    }
    this.vertx = vertx;
    runOnce();
    timer = Periodic.onEventLoop(vertx, interval, this::runOnce);
  }

  /** Stops probing. */
  public synchronized void stop() {
    if (timer != null) {
      timer.stop();
      timer = null;
    }
  }

  /** The last outcome. */
  public Outcome outcome() {
    return outcome;
  }

  /** The dependency's name. */
  public String dependency() {
    return dependency;
  }

  /** A health response named after the dependency, from the last outcome. */
  public HealthCheckResponse response(String checkName) {
    Outcome o = outcome;
    HealthCheckResponseBuilder b =
        HealthCheckResponse.named(checkName)
            .status(o.up())
            .withData("dependency", dependency)
            .withData(o.up() ? "detail" : "reason", o.detail())
            .withData("since", o.since().toString())
            .withData("checkedAt", o.checkedAt().toString());
    return b.build();
  }

  private void runOnce() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    Uni<String> attempt;
    try {
      attempt = probe.get();
    } catch (RuntimeException e) {
      attempt = Uni.createFrom().failure(e);
    }
    attempt
        .ifNoItem()
        .after(timeout)
        .failWith(() -> new TimeoutException("no answer within " + timeout))
        .subscribe()
        .with(
            detail -> record(true, detail),
            failure ->
                record(false, failure.getClass().getSimpleName() + ": " + failure.getMessage()));
  }

  private void record(boolean up, String detail) {
    Instant now = Instant.now();
    Outcome previous = outcome;
    boolean changed = !probed || previous.up() != up;
    probed = true;
    if (changed) {
      LOG.infof("%s is %s: %s", dependency, up ? "UP" : "DOWN", detail);
    }
    outcome = new Outcome(up, detail, changed ? now : previous.since(), now);
    running.set(false);
  }
}
