package io.vigil.router.service;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The latest answer times of the instances (time to response headers), and the per-try timeout
 * derived from them: a multiple of their 99th percentile within fixed bounds. A hung zone's
 * requests end in timeouts, which are not recorded, so a hang does not stretch the timeout.
 */
public final class LatencyWindow {

  /** Samples needed before the percentile is trusted; until then the upper bound applies. */
  static final int MIN_SAMPLES = 50;

  private final AtomicLongArray samples;
  private final AtomicLong next = new AtomicLong();
  private final Duration min;
  private final Duration max;
  private final double multiplier;
  private volatile long perTryNanos;
  private volatile long p99Nanos = -1;

  /**
   * @param size samples kept
   * @param min lower bound of the per-try timeout
   * @param max upper bound of the per-try timeout
   * @param multiplier multiple of the p99 latency
   */
  public LatencyWindow(int size, Duration min, Duration max, double multiplier) {
    if (min.compareTo(max) > 0 || multiplier <= 0) {
      throw new IllegalArgumentException("per-try timeout needs min ≤ max and a multiplier > 0");
    }
    this.samples = new AtomicLongArray(size);
    this.min = min;
    this.max = max;
    this.multiplier = multiplier;
    this.perTryNanos = max.toNanos();
  }

  /** An answer came after {@code nanos}. */
  public void record(long nanos) {
    samples.set((int) (next.getAndIncrement() % samples.length()), nanos);
  }

  /** Recomputes the percentile and the timeout from the samples (call it periodically). */
  public void update() {
    int n = (int) Math.min(next.get(), samples.length());
    if (n < MIN_SAMPLES) {
      perTryNanos = max.toNanos();
      return;
    }
    long[] copy = new long[n];
    for (int i = 0; i < n; i++) {
      copy[i] = samples.get(i);
    }
    Arrays.sort(copy);
    long p99 = copy[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)];
    p99Nanos = p99;
    long timeout = (long) (p99 * multiplier);
    perTryNanos = Math.max(min.toNanos(), Math.min(max.toNanos(), timeout));
  }

  /** The per-try timeout in force. */
  public Duration perTryTimeout() {
    return Duration.ofNanos(perTryNanos);
  }

  /** The last computed 99th percentile, or null before there are enough samples. */
  public Duration p99() {
    long p = p99Nanos;
    return p < 0 ? null : Duration.ofNanos(p);
  }
}
