package io.vigil.router.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vigil.commons.metrics.OwnedGauges;
import io.vigil.commons.schedule.Periodic;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.LatencyWindow;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The per-try timeouts, from recent latency: reads (GET, HEAD, OPTIONS) and writes apart — a write
 * may wait for its durability (its WAL in the standby region) far longer than any read takes, and
 * is not hung for that. Recomputed every 100 ms; exported as {@code
 * vigil.router.per_try_timeout.seconds}.
 */
@Singleton
public class TryTimeouts {

  private static final Set<HttpMethod> READS =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final LatencyWindow reads;
  private final LatencyWindow writes;
  private final Vertx vertx;
  private final OwnedGauges gauges;
  private Periodic timer;

  TryTimeouts(RouterConfig config, Vertx vertx, MeterRegistry metrics) {
    RouterConfig.Retry retry = config.retry();
    this.reads = window(retry);
    this.writes = window(retry);
    this.vertx = vertx;
    this.gauges = new OwnedGauges(metrics);
  }

  private static LatencyWindow window(RouterConfig.Retry retry) {
    return new LatencyWindow(
        1024, retry.perTryTimeoutMin(), retry.perTryTimeoutMax(), retry.perTryTimeoutMultiplier());
  }

  void onStart(@Observes StartupEvent event) {
    Map.of("read", reads, "write", writes)
        .forEach(
            (kind, window) ->
                gauges.gauge(
                    "vigil.router.per_try_timeout.seconds",
                    Tags.of("kind", kind),
                    "time a retry-safe try waits for an answer before it is tried elsewhere",
                    () -> window.perTryTimeout().toNanos() / 1e9));
    timer =
        Periodic.onEventLoop(
            vertx,
            Duration.ofMillis(100),
            () -> {
              reads.update();
              writes.update();
            });
  }

  void onStop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.stop();
    }
    gauges.close();
  }

  /** The window of a request's method. */
  LatencyWindow of(HttpMethod method) {
    return READS.contains(method) ? reads : writes;
  }

  /** The per-try timeout of reads and the latency it comes from. */
  public LatencyWindow reads() {
    return reads;
  }

  /** The per-try timeout of writes and the latency it comes from. */
  public LatencyWindow writes() {
    return writes;
  }
}
