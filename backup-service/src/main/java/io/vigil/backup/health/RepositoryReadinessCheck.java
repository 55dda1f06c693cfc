package io.vigil.backup.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.ObjectStore;
import io.vigil.commons.health.BackgroundProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the backup repository can be written: a probe object is written (and synced, for a
 * directory) in the background on a worker thread.
 */
@Readiness
@ApplicationScoped
public class RepositoryReadinessCheck implements HealthCheck {

  private final BackgroundProbe probe;
  private final Vertx vertx;

  RepositoryReadinessCheck(BackupConfig config, BackupRepository repository, Vertx vertx) {
    this.vertx = vertx;
    ObjectStore store = repository.store();
    this.probe =
        new BackgroundProbe(
            "backup-repository",
            config.repository().checkInterval(),
            Duration.ofSeconds(5),
            () ->
                Uni.createFrom()
                    .item(() -> writeProbe(store))
                    .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()));
  }

  private static String writeProbe(ObjectStore store) {
    try {
      store.probe();
      return "writable: " + store.describe();
    } catch (IOException | RuntimeException e) {
      throw new UncheckedIOException(
          new IOException(
              "repository " + store.describe() + " is not writable: " + e.getMessage(), e));
    }
  }

  void onStart(@Observes StartupEvent event) {
    probe.start(vertx);
  }

  void onStop(@Observes ShutdownEvent event) {
    probe.stop();
  }

  @Override
  public HealthCheckResponse call() {
    return probe.response("backup-repository");
  }
}
