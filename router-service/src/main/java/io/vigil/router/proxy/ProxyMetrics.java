package io.vigil.router.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's counters per zone: requests by status class, retries, the region unavailable, and the
 * latency from a request's arrival to its response headers.
 */
@ApplicationScoped
public class ProxyMetrics {

  private final MeterRegistry metrics;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  ProxyMetrics(MeterRegistry metrics) {
    this.metrics = metrics;
  }

  /** A request answered with {@code status} from {@code zone} ({@code none}: the router's own). */
  public void answered(String zone, int status) {
    counters
        .computeIfAbsent(
            zone + "/" + status / 100,
            k ->
                metrics.counter(
                    "vigil.router.requests", "zone", zone, "status", (status / 100) + "xx"))
        .increment();
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
