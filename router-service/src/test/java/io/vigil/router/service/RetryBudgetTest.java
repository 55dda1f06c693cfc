package io.vigil.router.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  private final RetryBudget budget = new RetryBudget(0.2, 1, Duration.ofSeconds(10), now::get);

  @Test
  void allowsTheMinimumWithoutTraffic() {
    for (int i = 0; i < 10; i++) {
      assertThat(budget.acquire()).as("retry %d", i).isTrue();
    }
    assertThat(budget.available()).isFalse();
    assertThat(budget.acquire()).isFalse();
  }

  @Test
  void allowsAShareOfRecentRequests() {
    for (int i = 0; i < 100; i++) {
      budget.request();
    }
    int granted = 0;
    while (budget.acquire()) {
      granted++;
    }
    assertThat(granted).isEqualTo(10 + 20);
  }

  @Test
  void forgetsWhatIsOlderThanTheWindow() {
    for (int i = 0; i < 100; i++) {
      budget.request();
    }
    while (budget.acquire()) {
      // spend it
    }
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThat(budget.acquire()).as("still inside the window").isFalse();
    now.addAndGet(Duration.ofSeconds(6).toNanos());
    assertThat(budget.acquire()).as("the spent retries left the window").isTrue();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new RetryBudget(-1, 1, Duration.ofSeconds(1), now::get))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryBudget(0.1, 1, Duration.ZERO, now::get))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
