package io.vigil.backup.service;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Progress of a running backup: phase, bytes done, bytes expected when known, rate. */
public final class Progress {

  private final String target;
  private final String id;
  private final Instant startedAt = Instant.now();
  private final AtomicLong bytes = new AtomicLong();
  private volatile long total = -1;
  private volatile String phase = "starting";

  Progress(String target, String id) {
    this.target = target;
    this.id = id;
  }

  /** Target. */
  public String target() {
    return target;
  }

  /** Backup id. */
  public String id() {
    return id;
  }

  /** Start. */
  public Instant startedAt() {
    return startedAt;
  }

  /** What it is doing. */
  public String phase() {
    return phase;
  }

  void phase(String phase) {
    this.phase = phase;
  }

  /** Bytes written so far. */
  public long bytes() {
    return bytes.get();
  }

  void bytes(long value) {
    bytes.set(value);
  }

  void add(long n) {
    bytes.addAndGet(n);
  }

  void total(long value) {
    total = value;
  }

  /** Bytes expected, or -1. */
  public long total() {
    return total;
  }

  /** Percent done, or -1 when the total is not known. */
  public double percent() {
    long t = total;
    return t <= 0 ? -1 : Math.min(100.0, 100.0 * bytes.get() / t);
  }

  /** Bytes per second since the start. */
  public double rate() {
    double seconds = Duration.between(startedAt, Instant.now()).toMillis() / 1000.0;
    return seconds <= 0 ? 0 : bytes.get() / seconds;
  }
}
