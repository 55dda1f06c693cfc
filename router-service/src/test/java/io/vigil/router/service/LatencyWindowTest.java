package io.vigil.router.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {

  private final LatencyWindow window =
      new LatencyWindow(1000, Duration.ofMillis(100), Duration.ofSeconds(5), 4);

  @Test
  void usesTheUpperBoundUntilThereAreEnoughSamples() {
    for (int i = 0; i < LatencyWindow.MIN_SAMPLES - 1; i++) {
      window.record(Duration.ofMillis(1).toNanos());
    }
    window.update();
    assertThat(window.perTryTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(window.p99()).isNull();
  }

  @Test
  void followsTheNinetyNinthPercentileTimesTheMultiplier() {
    for (int i = 1; i <= 1000; i++) {
      window.record(Duration.ofMillis(i).toNanos()); // p99 = 990 ms
    }
    window.update();
    assertThat(window.p99()).isEqualTo(Duration.ofMillis(990));
    assertThat(window.perTryTimeout()).isEqualTo(Duration.ofMillis(3960));
  }

  @Test
  void staysWithinItsBounds() {
    for (int i = 0; i < 200; i++) {
      window.record(Duration.ofMillis(2).toNanos());
    }
    window.update();
    assertThat(window.perTryTimeout()).isEqualTo(Duration.ofMillis(100));
    for (int i = 0; i < 1000; i++) {
      window.record(Duration.ofSeconds(3).toNanos());
    }
    window.update();
    assertThat(window.perTryTimeout()).isEqualTo(Duration.ofSeconds(5));
  }
}
