package io.vigil.commons.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeriodicTest {

  @Test
  void aThreadTickRunsAgainAfterAFailureAndStopEndsABlockedTick() throws Exception {
    AtomicInteger ticks = new AtomicInteger();
    CountDownLatch blocked = new CountDownLatch(1);
    Periodic p =
        Periodic.onThread(
            "test-periodic",
            Duration.ofMillis(10),
            () -> {
              int n = ticks.incrementAndGet();
              if (n == 2) {
                throw new IllegalStateException("a failing tick");
              }
              if (n == 3) {
                blocked.countDown();
                Thread.sleep(60_000); // blocked until interrupted
              }
            });
    assertThat(blocked.await(5, java.util.concurrent.TimeUnit.SECONDS))
        .as("the tick after the failing one ran")
        .isTrue();
    long t0 = System.nanoTime();
    p.stop();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    int after = ticks.get();
    Thread.sleep(100);
    assertThat(ticks.get()).as("no tick after stop").isEqualTo(after);
  }

  @Test
  void anEventLoopTickRunsOnTheEventLoopUntilStopped() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      List<String> threads = new CopyOnWriteArrayList<>();
      Periodic p =
          Periodic.onEventLoop(
              vertx, Duration.ofMillis(20), () -> threads.add(Thread.currentThread().getName()));
      await().atMost(Duration.ofSeconds(2)).until(() -> threads.size() >= 3);
      p.stop();
      int after = threads.size();
      Thread.sleep(100);
      assertThat(threads).hasSizeLessThanOrEqualTo(after + 1);
      assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop"));
    } finally {
      vertx.close();
    }
  }
}
