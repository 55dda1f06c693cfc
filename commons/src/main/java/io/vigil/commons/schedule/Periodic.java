package io.vigil.commons.schedule;

import io.vertx.core.Vertx;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * The one way Vigil runs periodic and background work, with a clear start and stop — two kinds:
 *
 * <ul>
 *   <li>{@link #onEventLoop}: a short, non-blocking tick on the Vert.x event loop (a timer);
 *   <li>{@link #onThread}: blocking work (processes, files, waiting for a leadership) on a thread
 *       of its own, one tick after the other with a pause between; a tick that throws is logged and
 *       the next one waits a second longer. {@link #stop} interrupts it and waits for it to end.
 * </ul>
 */
public final class Periodic {

  private static final Logger LOG = Logger.getLogger(Periodic.class);
  private static final Duration AFTER_FAILURE = Duration.ofSeconds(1);

  /** One run of blocking work; it may throw, and should end when interrupted. */
  @FunctionalInterface
  public interface Tick {
    void run() throws Exception;
  }

  private final String name;
  private final Vertx vertx;
  private final long timer;
  private final Thread thread;
  private volatile boolean stopping;

  private Periodic(String name, Vertx vertx, long timer, Thread thread) {
    this.name = name;
    this.vertx = vertx;
    this.timer = timer;
    this.thread = thread;
  }

  /** Runs {@code tick} on the event loop every {@code every}, the first time after one period. */
  public static Periodic onEventLoop(Vertx vertx, Duration every, Runnable tick) {
    long id = vertx.setPeriodic(Math.max(1, every.toMillis()), t -> tick.run());
    return new Periodic("timer-" + id, vertx, id, null);
  }

  /**
   * Runs {@code tick} on a daemon thread named {@code name} until stopped, pausing {@code pause}
   * after each run (zero: the tick paces itself, e.g. by waiting for work).
   */
  public static Periodic onThread(String name, Duration pause, Tick tick) {
    Periodic[] self = new Periodic[1];
    Thread thread =
        Thread.ofPlatform()
            .name(name)
            .daemon()
            .unstarted(
                () -> {
                  while (!self[0].stopping) {
                    try {
                      tick.run();
                      if (!pause.isZero()) {
                        Thread.sleep(pause.toMillis());
                      }
                    } catch (InterruptedException e) {
                      return;
                    } catch (Exception e) {
                      if (self[0].stopping) {
                        return;
                      }
                      LOG.warnf("%s: %s", name, e.toString());
                      try {
                        Thread.sleep(AFTER_FAILURE.plus(pause).toMillis());
                      } catch (InterruptedException ie) {
                        return;
                      }
                    }
                  }
                });
    self[0] = new Periodic(name, null, -1, thread);
    thread.start();
    return self[0];
  }

  /** Stops: cancels the timer, or interrupts the thread and waits up to 5 s for it to end. */
  public void stop() {
    stopping = true;
    if (vertx != null) {
      vertx.cancelTimer(timer);
      return;
    }
    thread.interrupt();
    if (thread != Thread.currentThread()) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        LOG.warnf("%s did not end within 5 s of being stopped", name);
      }
    }
  }
}
