package io.vigil.router.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's counters per zone: requests by status class, retries, the region unavailable, and the
 * latency from a request's arrival to its response headers.
 */
@Singleton
public class ProxyMetrics {

  private final MeterRegistry metrics;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  /** Per zone, the answered counters by status class (index 1 to 5), created on first use. */
  private final Map<String, Counter[]> answers = new ConcurrentHashMap<>();

  ProxyMetrics(MeterRegistry metrics) {
    this.metrics = metrics;
  }

  /** A request answered with {@code status} from {@code zone} ({@code none}: the router's own). */
  public void answered(String zone, int status) {
    int type = Math.clamp(status / 100, 1, 5);
    Counter[] byType = answers.computeIfAbsent(zone, z -> new Counter[6]);
    Counter c = byType[type];
    if (c == null) {
      // a race registers the same counter twice: the registry answers the one it has
      c = metrics.counter("vigil.router.requests", "zone", zone, "status", type + "xx");
      byType[type] = c;
    }
    c.increment();
  }

  /** A try on {@code zone} is taken again elsewhere. */
  public void retried(String zone) {
    counters
        .computeIfAbsent(
            "retries@" + zone, k -> metrics.counter("vigil.router.retries", "zone", zone))
        .increment();
  }

  /** No zone could serve a request: the router answered 503 itself. */
  public void unavailable() {
    answered("none", 503);
    metrics.counter("vigil.router.unavailable").increment();
  }

  /** The time from a request's arrival ({@code start}, nanos) to its response headers. */
  public void latency(String zone, long start) {
    timers
        .computeIfAbsent(
            zone,
            z ->
                Timer.builder("vigil.router.latency")
                    .description("time from a request's arrival to its response headers")
                    .tag("zone", z)
                    .publishPercentileHistogram()
                    .register(metrics))
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }
}
