package io.vigil.router.service;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Caps retries at a share of recent requests plus a small constant rate, so that when every zone is
 * failing the router does not multiply the load (a retry storm). Requests and retries are counted
 * in ten time slots covering the window; lock-free, so every event loop can use it.
 */
public final class RetryBudget {

  private static final int SLOTS = 10;

  private final double ratio;
  private final long minimum;
  private final long slotNanos;
  private final LongSupplier clock;
  private final AtomicLongArray stamps = new AtomicLongArray(SLOTS);
  private final AtomicLongArray requests = new AtomicLongArray(SLOTS);
  private final AtomicLongArray retries = new AtomicLongArray(SLOTS);

  /**
   * @param ratio retries allowed per request of the window
   * @param minPerSecond retries always allowed per second
   * @param window the window requests and retries are counted over
   * @param clock nanosecond clock
   */
  public RetryBudget(double ratio, int minPerSecond, Duration window, LongSupplier clock) {
    if (ratio < 0 || minPerSecond < 0 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("retry budget needs ratio ≥ 0, minimum ≥ 0, window > 0");
    }
    this.ratio = ratio;
    this.minimum = Math.max(1, Math.round(minPerSecond * (window.toMillis() / 1000.0)));
    this.slotNanos = Math.max(1, window.toNanos() / SLOTS);
    this.clock = clock;
  }

  /** A request arrived (first tries only). */
  public void request() {
    requests.incrementAndGet(slot(turn()));
  }

  /** Whether a retry would be allowed now, without taking it. */
  public boolean available() {
    long turn = turn();
    slot(turn);
    return sum(retries, turn) < allowed(turn);
  }

  /** Takes a retry from the budget; false when the budget is spent. */
  public boolean acquire() {
    long turn = turn();
    int slot = slot(turn);
    if (sum(retries, turn) >= allowed(turn)) {
      return false;
    }
    retries.incrementAndGet(slot);
    return true;
  }

  private long turn() {
    return clock.getAsLong() / slotNanos;
  }

  private long allowed(long turn) {
    return minimum + (long) Math.floor(ratio * sum(requests, turn));
  }

  /** The slot of this turn, cleared first when it last served an older turn of the ring. */
  private int slot(long turn) {
    int slot = (int) Math.floorMod(turn, (long) SLOTS);
    long seen = stamps.get(slot);
    if (seen != turn && stamps.compareAndSet(slot, seen, turn)) {
      requests.set(slot, 0);
      retries.set(slot, 0);
    }
    return slot;
  }

  /** Counts of the slots whose turn is within the window. */
  private long sum(AtomicLongArray counts, long turn) {
    long total = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (turn - stamps.get(i) < SLOTS) {
        total += counts.get(i);
      }
    }
    return total;
  }
}
