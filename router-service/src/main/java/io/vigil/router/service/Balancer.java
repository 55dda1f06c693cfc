package io.vigil.router.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which instance takes a request: a healthy one of an active zone outside the zones and ids to
 * avoid (zones first, then instances), in the preferred zone while it has room, by the power of two
 * choices on outstanding requests weighted by slow start; a draining zone only when no active zone
 * can serve; a disabled zone never. Plain functions of the pool's state.
 */
final class Balancer {

  private Balancer() {}

  /** The chosen instance, or null when there is none. */
  static Backend choose(
      Collection<Backend> backends,
      Map<String, String> admin,
      Set<String> avoidZones,
      Set<String> avoidIds,
      Optional<String> preferredZone,
      int spillOverOutstanding,
      long slowStartNanos) {
    List<Backend> active = new ArrayList<>();
    List<Backend> draining = new ArrayList<>();
    for (Backend b : backends) {
      if (!b.healthy() || avoidIds.contains(b.id())) {
        continue;
      }
      String state = admin.getOrDefault(b.zone(), BackendPool.ACTIVE);
      if (state.equals(BackendPool.ACTIVE)) {
        active.add(b);
      } else if (state.equals(BackendPool.DRAINING)) {
        draining.add(b);
      }
    }
    List<Backend> candidates = outside(active, avoidZones);
    if (candidates.isEmpty()) {
      candidates = active;
    }
    if (candidates.isEmpty()) {
      candidates = draining;
    }
    if (candidates.isEmpty()) {
      return null;
    }
    if (preferredZone.isPresent()) {
      List<Backend> preferred = new ArrayList<>();
      int least = Integer.MAX_VALUE;
      for (Backend b : candidates) {
        if (b.zone().equals(preferredZone.get())) {
          preferred.add(b);
          least = Math.min(least, b.outstanding());
        }
      }
      if (!preferred.isEmpty() && least < spillOverOutstanding) {
        candidates = preferred;
      }
    }
    return twoChoices(candidates, System.nanoTime(), slowStartNanos);
  }

  private static List<Backend> outside(List<Backend> backends, Set<String> avoidZones) {
    if (avoidZones.isEmpty()) {
      return backends;
    }
    List<Backend> out = new ArrayList<>(backends.size());
    for (Backend b : backends) {
      if (!avoidZones.contains(b.zone())) {
        out.add(b);
      }
    }
    return out;
  }

  /** Chooses among {@code candidates} by two picks weighted by slow start. */
  static Backend twoChoices(List<Backend> candidates, long now, long slowStartNanos) {
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    double[] cumulative = new double[candidates.size()];
    double total = 0;
    for (int i = 0; i < cumulative.length; i++) {
      total += candidates.get(i).weight(now, slowStartNanos);
      cumulative[i] = total;
    }
    Backend a = pick(candidates, cumulative, total);
    Backend b = pick(candidates, cumulative, total);
    return a.outstanding() <= b.outstanding() ? a : b;
  }

  private static Backend pick(List<Backend> candidates, double[] cumulative, double total) {
    double r = ThreadLocalRandom.current().nextDouble(total);
    for (int i = 0; i < cumulative.length; i++) {
      if (r < cumulative[i]) {
        return candidates.get(i);
      }
    }
    return candidates.get(candidates.size() - 1);
  }
}
