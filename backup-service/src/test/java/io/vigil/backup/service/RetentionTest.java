package io.vigil.backup.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.backup.repository.RecoveryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionTest {

  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

  private static List<RecoveryPoint> hourly(int n) {
    List<RecoveryPoint> points = new ArrayList<>();
    for (int i = n; i >= 1; i--) {
      Instant t = NOW.minus(Duration.ofHours(i));
      points.add(
          new RecoveryPoint(
              "etcd", "p" + i, "r", "etcd/p" + i + ".db", 1, "x", t, t, 1L, null, null, null, "x"));
    }
    return points;
  }

  @Test
  void deletesWhatIsBeyondTheCountAndOlderThanTheMinimumAge() {
    List<RecoveryPoint> expired = Retention.expired(hourly(10), 3, Duration.ofMinutes(30), NOW);
    assertThat(expired)
        .extracting(RecoveryPoint::id)
        .containsExactly("p10", "p9", "p8", "p7", "p6", "p5", "p4");
  }

  @Test
  void keepsYoungPointsWhateverTheirNumber() {
    assertThat(Retention.expired(hourly(10), 3, Duration.ofHours(6), NOW))
        .extracting(RecoveryPoint::id)
        .containsExactly("p10", "p9", "p8", "p7");
  }

  @Test
  void neverDeletesTheNewest() {
    assertThat(Retention.expired(hourly(3), 0, Duration.ZERO, NOW))
        .extracting(RecoveryPoint::id)
        .containsExactly("p3", "p2");
  }
}
