package io.vigil.router.service;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The newest zone transitions this router saw, newest first, at most {@link #KEPT}. */
public final class ZoneTransitions {

  /** How many are kept. */
  public static final int KEPT = 50;

  /** One transition of a zone's state, with its reason. */
  public record Transition(String zone, String from, String to, String reason, Instant at) {}

  private final Deque<Transition> newestFirst = new ArrayDeque<>();

  synchronized void add(Transition t) {
    newestFirst.addFirst(t);
    if (newestFirst.size() > KEPT) {
      newestFirst.removeLast();
    }
  }

  /** The transitions kept, newest first. */
  public synchronized List<Transition> list() {
    return List.copyOf(newestFirst);
  }
}
