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
              "etcd",
              "p" + i,
              "r",
              "etcd/p" + i + ".db",
              1,
              "x",
              t,
              t,
              1L,
              null,
              null,
              null,
              "x",
              null));
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

  @Test
  void walGoesOnlyOnceItLiesBeforeTheOldestKeptBaseBackup() {
    RecoveryPoint base =
        new RecoveryPoint(
            "postgres",
            "b",
            "r",
            "pg/base/b/base.tar.gz",
            1,
            "x",
            NOW,
            NOW,
            null,
            "0/7000028",
            "0/7000100",
            1,
            "x",
            null);
    List<RecoveryPoint> wal = new ArrayList<>();
    for (String id :
        List.of(
            "000000010000000000000005",
            "000000010000000000000006",
            "000000010000000000000007",
            "000000010000000000000008.1764000000000.partial",
            "00000002.history",
            "000000020000000000000006.1764000001000.partial")) {
      wal.add(
          new RecoveryPoint(
              "wal", id, "r", "pg/wal/x/" + id, 1, "x", NOW, NOW, null, null, null, 1, "x", null));
    }
    // segment 7 holds the base backup's start: it and everything after stay, history files stay
    assertThat(Retention.unneededWal(wal, base))
        .extracting(RecoveryPoint::id)
        .containsExactly(
            "000000010000000000000005",
            "000000010000000000000006",
            "000000020000000000000006.1764000001000.partial");
  }

  @Test
  void theSegmentOfAnLsn() {
    assertThat(RestoreService.segmentOf("0/7000028")).isEqualTo("0000000000000007");
    assertThat(RestoreService.segmentOf("1/FF000000")).isEqualTo("00000001000000FF");
    assertThat(WalSegments.startLsn("0000000100000001000000FF")).isEqualTo("1/FF000000");
  }
}
