package io.vigil.backup.service;

import io.vigil.backup.repository.RecoveryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which recovery points retention deletes: those beyond the newest {@code keep} that are also older
 * than {@code minAge}. The newest is never deleted. Each base backup and each snapshot restores on
 * its own; archived WAL is chain-aware: a segment goes only once it lies before the start of the
 * oldest base backup kept, so every kept base backup can still be replayed forward.
 */
public final class Retention {

  private Retention() {}

  /** The points to delete, from {@code points} ordered oldest first. */
  public static List<RecoveryPoint> expired(
      List<RecoveryPoint> points, int keep, Duration minAge, Instant now) {
    List<RecoveryPoint> out = new ArrayList<>();
    int beyond = points.size() - Math.max(1, keep);
    for (int i = 0; i < beyond; i++) {
      RecoveryPoint p = points.get(i);
      if (p.time().plus(minAge).isBefore(now)) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The archived WAL no kept base backup needs: segments (complete or partial) before the segment
   * holding the oldest kept base backup's start LSN. History files are always kept.
   */
  public static List<RecoveryPoint> unneededWal(List<RecoveryPoint> wal, RecoveryPoint oldestBase) {
    String start = RestoreService.segmentOf(oldestBase.lsn());
    List<RecoveryPoint> out = new ArrayList<>();
    for (RecoveryPoint p : wal) {
      if (!p.id().endsWith(".history") && p.id().substring(8, 24).compareTo(start) < 0) {
        out.add(p);
      }
    }
    return out;
  }
}
