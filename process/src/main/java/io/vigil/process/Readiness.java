package io.vigil.process;

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
        String tail = process.logTail(40);
        throw new IllegalStateException(
            process.name()
                + " exited before "
                + what
                + (busyPort(tail)
                    ? ": a port it was given is busy (another process took it after it was found"
                        + " free); run the command again"
                    : "")
                + "; log "
                + process.log()
                + ":\n"
                + tail);
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

  /** Whether a log says a server could not bind its port. */
  static boolean busyPort(String log) {
    String l = log.toLowerCase(java.util.Locale.ROOT);
    return l.contains("address already in use") || l.contains("port already bound");
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
