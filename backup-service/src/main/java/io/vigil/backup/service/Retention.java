package io.vigil.backup.service;

import io.vigil.backup.repository.RecoveryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which recovery points retention deletes: those beyond the newest {@code keep} that are also older
 * than {@code minAge}. The newest is never deleted. Each base backup and each snapshot restores on
 * its own, so no kept point depends on a deleted one (when WAL archives join the repository, a base
 * backup's WAL goes with it).
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
}
