package io.vigil.commons.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackgroundProbeTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void theLastOutcomeIsServedFromMemoryWithSinceKeptWhileTheStateHolds() {
    AtomicReference<Uni<String>> answer = new AtomicReference<>(Uni.createFrom().item("fine"));
    AtomicInteger probes = new AtomicInteger();
    BackgroundProbe probe =
        new BackgroundProbe(
            "dependency",
            Duration.ofMillis(50),
            Duration.ofSeconds(1),
            () -> {
              probes.incrementAndGet();
              return answer.get();
            });
    assertThat(probe.outcome().up()).isFalse();
    assertThat(probe.outcome().detail()).isEqualTo("not probed yet");
    probe.start(vertx);
    try {
      await().atMost(Duration.ofSeconds(2)).until(() -> probe.outcome().up());
      var firstUp = probe.outcome().since();
      await().atMost(Duration.ofSeconds(2)).until(() -> probes.get() > 3);
      assertThat(probe.outcome().since()).as("unchanged while up").isEqualTo(firstUp);

      answer.set(Uni.createFrom().failure(new IllegalStateException("refused")));
      await().atMost(Duration.ofSeconds(2)).until(() -> !probe.outcome().up());
      assertThat(probe.outcome().detail()).isEqualTo("IllegalStateException: refused");
      HealthCheckResponse response = probe.response("check");
      assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
      assertThat(response.getData().orElseThrow()).containsEntry("dependency", "dependency");
    } finally {
      probe.stop();
    }
  }

  @Test
  void aProbeWithoutAnAnswerInTimeIsAFailureAndOnlyOneRunsAtATime() {
    AtomicInteger started = new AtomicInteger();
    BackgroundProbe probe =
        new BackgroundProbe(
            "slow",
            Duration.ofMillis(20),
            Duration.ofMillis(300),
            () -> {
              started.incrementAndGet();
              return Uni.createFrom().nothing();
            });
    probe.start(vertx);
    try {
      await()
          .atMost(Duration.ofSeconds(2))
          .until(
              () ->
                  probe.outcome().checkedAt() != null
                      && probe.outcome().detail().startsWith("TimeoutException"));
      assertThat(probe.outcome().up()).isFalse();
      assertThat(probe.outcome().detail()).contains("no answer within PT0.3S");
      // 20 ms ticks for ≥ 300 ms, yet the hung probe held the single slot
      assertThat(started.get()).isLessThanOrEqualTo(2);
    } finally {
      probe.stop();
    }
  }
}
