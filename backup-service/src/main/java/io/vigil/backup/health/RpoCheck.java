package io.vigil.backup.health;

import io.smallrye.health.api.HealthGroup;
import io.vigil.backup.service.BackupService;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code /q/health/group/rpo}: DOWN while a configured target's newest recovery point is older than
 * its objective (or there is none). Not part of readiness: a late backup must not take the service
 * out of rotation.
 */
@HealthGroup("rpo")
@ApplicationScoped
public class RpoCheck implements HealthCheck {

  private final BackupService backups;

  RpoCheck(BackupService backups) {
    this.backups = backups;
  }

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder b = HealthCheckResponse.named("rpo").up();
    for (String target : BackupService.TARGETS) {
      if (!backups.enabled(target)) {
        continue;
      }
      Duration objective = backups.objective(target);
      Optional<Duration> exposure = backups.exposure(target);
      if (exposure.isEmpty()) {
        b.down()
            .withData(target, "no recovery point yet; objective " + objective.toSeconds() + " s");
      } else if (exposure.get().compareTo(objective) > 0) {
        b.down()
            .withData(
                target,
                "exposure "
                    + exposure.get().toSeconds()
                    + " s exceeds the objective of "
                    + objective.toSeconds()
                    + " s");
      } else {
        b.withData(
            target,
            "exposure " + exposure.get().toSeconds() + " s within " + objective.toSeconds() + " s");
      }
    }
    return b.build();
  }
}
