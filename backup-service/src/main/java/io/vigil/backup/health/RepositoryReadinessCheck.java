package io.vigil.backup.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import io.vigil.backup.config.BackupConfig;
import io.vigil.topology.BackgroundProbe;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the backup repository can be written: a probe file is written, synced and deleted in
 * the background on a worker thread.
 */
@Readiness
@ApplicationScoped
public class RepositoryReadinessCheck implements HealthCheck {

  private final BackgroundProbe probe;
  private final Vertx vertx;

  RepositoryReadinessCheck(BackupConfig config, Vertx vertx) {
    this.vertx = vertx;
    Path repository = config.repository().path().toAbsolutePath();
    this.probe =
        new BackgroundProbe(
            "backup-repository",
            config.repository().checkInterval(),
            Duration.ofSeconds(5),
            () ->
                Uni.createFrom()
                    .item(() -> writeProbe(repository))
                    .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()));
  }

  private static String writeProbe(Path repository) {
    try {
      Files.createDirectories(repository);
      Path probe = Files.createTempFile(repository, ".probe-", ".tmp");
      try (var channel =
          java.nio.channels.FileChannel.open(probe, java.nio.file.StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
        channel.force(true);
      } finally {
        Files.deleteIfExists(probe);
      }
      return "writable: " + repository;
    } catch (IOException e) {
      throw new UncheckedIOException("repository " + repository + " is not writable", e);
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
