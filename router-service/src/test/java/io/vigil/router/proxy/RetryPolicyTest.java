package io.vigil.router.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.router.service.Backend;
import io.vigil.router.service.LatencyWindow;
import io.vigil.router.service.RetryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The retry engine's decisions, without a network: instances are plain values here. */
class RetryPolicyTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private final Backend a = new Backend("a1", "zone-a", "127.0.0.1", 1);
  private final Backend b = new Backend("b1", "zone-b", "127.0.0.1", 2);
  private final Backend c = new Backend("c1", "zone-c", "127.0.0.1", 3);
  private final List<Backend> region = new ArrayList<>(List.of(a, b, c));
  private final LatencyWindow window =
      new LatencyWindow(1024, Duration.ofMillis(50), Duration.ofMillis(400), 3);
  private long now = 1_000 * SECOND;

  /** The first instance outside what is avoided, in the list's order (zones first). */
  private Backend choose(Set<String> avoidZones, Set<String> avoidIds) {
    return region.stream()
        .filter(x -> !avoidZones.contains(x.zone()) && !avoidIds.contains(x.id()))
        .findFirst()
        .orElse(null);
  }

  private RetryPolicy policy(int attempts, int retriesPerSecond) {
    RetryBudget budget = new RetryBudget(0, retriesPerSecond, Duration.ofSeconds(1), () -> now);
    return new RetryPolicy(attempts, budget, this::choose, (zones, ids) -> null);
  }

  private Tries tries(boolean replayable) {
    return new Tries(null, now, now + 10 * SECOND, false, replayable, window);
  }

  @Test
  void aRefusedTryIsTakenAgainInAnotherZoneUntilTheAttemptsAreSpent() {
    RetryPolicy policy = policy(3, 100);
    Tries tries = tries(true);
    List<String> zones = new ArrayList<>();
    for (Backend next = policy.next(tries); next != null; next = policy.next(tries)) {
      policy.begin(tries, next, now);
      zones.add(next.zone());
      if (!policy.mayRetry(tries, next, now)) {
        break;
      }
      assertThat(next.outstanding()).as("a retried try is ended").isZero();
    }
    assertThat(zones).containsExactly("zone-a", "zone-b", "zone-c");
    assertThat(tries.attempts).isEqualTo(3);
    assertThat(tries.current).as("the last answer stands").isSameAs(c);
    assertThat(c.outstanding()).isEqualTo(1);
  }

  @Test
  void aRequestThatIsNotReplayableIsNeverSentTwice() {
    RetryPolicy policy = policy(3, 100);
    Tries tries = tries(false);
    policy.begin(tries, policy.next(tries), now);
    assertThat(policy.mayRetry(tries, a, now)).isFalse();
    assertThat(tries.current).isSameAs(a);
  }

  @Test
  void theOnlyInstancesOwnAnswerStandsWhenNoOtherCanTakeIt() {
    region.retainAll(List.of(a));
    RetryPolicy policy = policy(3, 100);
    Tries tries = tries(true);
    policy.begin(tries, policy.next(tries), now);
    assertThat(policy.mayRetry(tries, a, now)).isFalse();
    assertThat(tries.current).isSameAs(a);
    assertThat(a.outstanding()).isEqualTo(1);
  }

  @Test
  void noRetryPastTheDeadlineOrBeyondTheBudget() {
    RetryPolicy policy = policy(3, 1);
    Tries late = tries(true);
    policy.begin(late, policy.next(late), now);
    assertThat(policy.mayRetry(late, a, late.deadline)).isFalse();

    Tries first = tries(true);
    policy.begin(first, policy.next(first), now);
    assertThat(policy.mayRetry(first, a, now)).as("the budget's one retry").isTrue();
    Tries second = tries(true);
    policy.begin(second, policy.next(second), now);
    assertThat(policy.mayRetry(second, a, now)).as("the budget is spent").isFalse();
    now += 2 * SECOND;
    assertThat(policy.mayRetry(second, a, now)).as("a new window").isTrue();
  }

  @Test
  void whenEveryInstanceWasTriedASlowOneIsTriedAgainButNotAFailedOne() {
    RetryPolicy policy = policy(5, 100);
    Tries tries = tries(true);
    for (Backend x : List.of(a, b, c)) {
      tries.avoid(x);
    }
    assertThat(policy.next(tries)).isNull();
    tries.slow.add(b.id());
    assertThat(policy.next(tries)).isSameAs(b);
  }

  @Test
  void aTryThatMayBeRetriedWaitsThePerTryTimeoutTheLastOneTheRestOfTheDeadline() {
    RetryPolicy policy = policy(2, 100);
    Tries tries = tries(true);
    assertThat(policy.begin(tries, a, now)).isEqualTo(window.perTryTimeout().toMillis());
    assertThat(policy.mayRetry(tries, a, now)).isTrue();
    now += SECOND;
    assertThat(policy.begin(tries, b, now)).as("the last try").isEqualTo(9_000);

    Tries once = tries(false);
    assertThat(policy.begin(once, a, now)).as("not replayable").isEqualTo(10_000);
    Tries standby = new Tries(null, now, now + 5 * SECOND, true, true, window);
    assertThat(policy.begin(standby, a, now)).as("the standby region's").isEqualTo(5_000);
  }

  @Test
  void aFailedConnectionMovesOnWhileAttemptsRemain() {
    RetryPolicy policy = policy(2, 100);
    Tries tries = tries(false);
    policy.begin(tries, policy.next(tries), now);
    assertThat(policy.mayReconnect(tries, a)).isTrue();
    assertThat(tries.current).isNull();
    assertThat(a.outstanding()).isZero();
    Backend next = policy.next(tries);
    assertThat(next).isSameAs(b);
    policy.begin(tries, next, now);
    assertThat(policy.mayReconnect(tries, b)).isFalse();
  }
}
