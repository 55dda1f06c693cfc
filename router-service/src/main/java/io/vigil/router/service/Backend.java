package io.vigil.router.service;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance the router sends traffic to, with its health as the active checks and passive
 * ejections see it, and the requests it has outstanding.
 */
public final class Backend {

  private final String id;
  private final String zone;
  private final String host;
  private final int port;
  private final String checkHost;
  private final int checkPort;
  private final boolean tls;
  private final boolean checkTls;
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean healthy;
  private int failures;
  private int successes;
  private volatile String reason = "not checked yet";
  private volatile Instant since = Instant.now();
  private volatile long rampFrom = System.nanoTime();
  private final java.util.concurrent.atomic.AtomicBoolean probing =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicBoolean withheld =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** An instance at {@code host:port} over plain HTTP, checked there; not healthy until checked. */
  public Backend(String id, String zone, String host, int port) {
    this(id, zone, java.net.URI.create("http://" + host + ":" + port), null);
  }

  /**
   * An instance serving at {@code url} whose readiness is checked at {@code check} (its management
   * interface; null: at {@code url}); {@code https} URLs are reached over TLS. Not healthy until
   * checked.
   */
  public Backend(String id, String zone, java.net.URI url, java.net.URI check) {
    java.net.URI c = check == null ? url : check;
    this.id = id;
    this.zone = zone;
    this.host = url.getHost();
    this.port = url.getPort();
    this.tls = "https".equalsIgnoreCase(url.getScheme());
    this.checkHost = c.getHost();
    this.checkPort = c.getPort();
    this.checkTls = "https".equalsIgnoreCase(c.getScheme());
  }

  /** Instance id. */
  public String id() {
    return id;
  }

  /** Zone. */
  public String zone() {
    return zone;
  }

  /** Host. */
  public String host() {
    return host;
  }

  /** Port. */
  public int port() {
    return port;
  }

  /** Host of its readiness check. */
  public String checkHost() {
    return checkHost;
  }

  /** Port of its readiness check. */
  public int checkPort() {
    return checkPort;
  }

  /** Whether requests reach it over TLS. */
  public boolean tls() {
    return tls;
  }

  /** Whether its readiness check goes over TLS. */
  public boolean checkTls() {
    return checkTls;
  }

  /** Whether it takes traffic. */
  public boolean healthy() {
    return healthy;
  }

  /** Why it is in or out of rotation. */
  public String reason() {
    return reason;
  }

  /** Since when. */
  public Instant since() {
    return since;
  }

  /** Requests in flight. */
  public int outstanding() {
    return outstanding.get();
  }

  /** A request goes to this backend. */
  public void begin() {
    outstanding.incrementAndGet();
  }

  /** A request to this backend ended. */
  public void end() {
    outstanding.decrementAndGet();
  }

  /**
   * Share of its normal traffic the instance takes now: ramps from 0.1 to 1 over {@code slowStart}
   * after it came back into rotation or its zone was activated.
   */
  public double weight(long nowNanos, long slowStartNanos) {
    long elapsed = nowNanos - rampFrom;
    if (slowStartNanos <= 0 || elapsed >= slowStartNanos) {
      return 1.0;
    }
    return Math.max(0.1, (double) elapsed / slowStartNanos);
  }

  /** Starts the slow-start ramp again (its zone was activated). */
  public void restartRamp() {
    rampFrom = System.nanoTime();
  }

  /**
   * A passive ejection was withheld (it is the last healthy instance); answers true the first time
   * since it came into rotation, so that is logged once.
   */
  boolean withheld() {
    return !withheld.getAndSet(true);
  }

  /** Claims the right to run an out-of-turn probe; false when one is already running. */
  boolean startProbe() {
    return probing.compareAndSet(false, true);
  }

  /** The out-of-turn probe ended. */
  void endProbe() {
    probing.set(false);
  }

  /** An active check passed; back in rotation after {@code rise} in a row. */
  synchronized void checkPassed(int rise) {
    failures = 0;
    if (!healthy && ++successes >= rise) {
      transition(true, "health check passed " + successes + " times");
    }
  }

  /** An active check failed; out of rotation after {@code fall} in a row. */
  synchronized void checkFailed(int fall, String why) {
    successes = 0;
    if (healthy && ++failures >= fall) {
      transition(false, why);
    } else if (!healthy) {
      reason = why;
    }
  }

  /**
   * Connection refused or reset, or a probe after a timeout failed: out of rotation at once, the
   * active checks bring it back.
   */
  public synchronized void eject(String why) {
    successes = 0;
    if (healthy) {
      transition(false, "ejected: " + why);
    }
  }

  private void transition(boolean up, String why) {
    if (up) {
      rampFrom = System.nanoTime();
      withheld.set(false);
    }
    healthy = up;
    reason = why;
    since = Instant.now();
    failures = 0;
    successes = 0;
  }
}
