package io.vigil.router.proxy;

import io.vigil.router.service.Backend;
import io.vigil.router.service.RetryBudget;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The router's retry engine, without a network: which instance a try goes to (other zones first),
 * whether a failed or refused try is taken again, and how long a try may wait for its answer. The
 * product's own rules; {@link ProxyHandler} applies them to the Vert.x HTTP client.
 *
 * <ul>
 *   <li>A try is taken again only when the request is replayable, tries and deadline are left,
 *       another instance can take it and the retry budget allows; otherwise the answer or failure
 *       of this try stands (a lone instance's own 503 reaches the client).
 *   <li>When every instance has been tried and some were only slow (a timed-out try on an instance
 *       whose readiness has not failed), one of those is tried again rather than giving up.
 *   <li>A retry-safe try that may still be retried waits the window's per-try timeout; the last
 *       try, a request that cannot be retried and a request to the standby region get the rest of
 *       the deadline.
 * </ul>
 */
public final class RetryPolicy {

  /** The instances of a region to choose from. */
  @FunctionalInterface
  public interface Candidates {
    /** A healthy instance outside the zones and ids to avoid, or null. */
    Backend choose(Set<String> avoidZones, Set<String> avoidIds);
  }

  private final int attempts;
  private final RetryBudget budget;
  private final Candidates region;
  private final Candidates standby;

  /**
   * @param attempts tries at most per request
   * @param budget the share of recent requests that may be retried
   * @param region this region's instances
   * @param standby the standby region's routers
   */
  public RetryPolicy(int attempts, RetryBudget budget, Candidates region, Candidates standby) {
    this.attempts = attempts;
    this.budget = budget;
    this.region = region;
    this.standby = standby;
  }

  /** Counts a request for the retry budget. */
  void request() {
    budget.request();
  }

  /**
   * After a try on {@code b} failed or was refused (502/503/504): whether to try again. When it
   * does, the try on {@code b} is ended; when not, it stays current so its answer stands.
   */
  boolean mayRetry(Tries tries, Backend b, long now) {
    if (!tries.replayable || tries.attempts >= attempts || now >= tries.deadline) {
      return false;
    }
    tries.avoid(b);
    if (next(tries) == null || !budget.acquire()) {
      return false;
    }
    tries.endTry();
    return true;
  }

  /** After a connection to {@code b} failed (nothing was sent): whether to connect elsewhere. */
  boolean mayReconnect(Tries tries, Backend b) {
    tries.endTry();
    tries.avoid(b);
    return tries.attempts < attempts;
  }

  /** The instance for the next try (other zones first), or null when there is none. */
  Backend next(Tries tries) {
    if (tries.pinned != null) {
      return tries.ids.contains(tries.pinned.id()) ? null : tries.pinned;
    }
    if (tries.standby) {
      return standby.choose(Set.of(), tries.ids);
    }
    Backend chosen = region.choose(tries.zones, tries.ids);
    if (chosen == null && !tries.slow.isEmpty()) {
      // every instance has been tried and some were only slow (a write waiting for its
      // durability, say): try one of those again rather than give up; a hung one is out of the
      // pool by now (its readiness probe failed)
      Set<String> failed = new HashSet<>(tries.ids);
      failed.removeAll(tries.slow);
      chosen = region.choose(Set.of(), failed);
    }
    return chosen;
  }

  /** Starts a try on {@code b} at {@code now}; answers its timeout in milliseconds. */
  long begin(Tries tries, Backend b, long now) {
    tries.current = b;
    tries.attempts++;
    tries.tryStart = now;
    b.begin();
    long remaining = Math.max(1, tries.deadline - now);
    // a request forwarded to the standby region gets the rest of the deadline: the standby router
    // times its own instances, and this region's latency says nothing about another region's
    boolean timed =
        !tries.standby && tries.replayable && tries.attempts < attempts && budget.available();
    long timeout = timed ? Math.min(tries.window.perTryTimeout().toNanos(), remaining) : remaining;
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeout));
  }
}
