package io.vigil.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a real readiness probe, failing early and with the log when the process died. */
public final class Readiness {

  private Readiness() {}

  /**
   * Polls {@code probe} every 100 ms until it answers true.
   *
   * @throws IllegalStateException when the process ends or {@code timeout} passes first; the
   *     message carries the end of the process's log
   */
  public static void await(
      ManagedProcess process, String what, Duration timeout, BooleanSupplier probe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (probeSafely(probe)) {
        return;
      }
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(
            process.name()
                + " exited before "
                + what
                + "; log "
                + process.log()
                + ":\n"
                + process.logTail(40));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out after "
                + timeout
                + " waiting for "
                + what
                + (process == null ? "" : "; log " + process.log() + ":\n" + process.logTail(40)));
      }
      sleep(Duration.ofMillis(100));
    }
  }

  /** Polls a condition without a process to watch. */
  public static void await(String what, Duration timeout, BooleanSupplier probe) {
    await(null, what, timeout, probe);
  }

  private static boolean probeSafely(BooleanSupplier probe) {
    try {
      return probe.getAsBoolean();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Sleeps, keeping the interrupt flag. */
  public static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
