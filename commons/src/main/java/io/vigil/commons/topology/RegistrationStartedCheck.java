package io.vigil.commons.topology;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started once the instance is registered in etcd (or runs without etcd by configuration). */
@Startup
@ApplicationScoped
public class RegistrationStartedCheck implements HealthCheck {

  private final InstanceRegistrar registrar;

  RegistrationStartedCheck(InstanceRegistrar registrar) {
    this.registrar = registrar;
  }

  @Override
  public HealthCheckResponse call() {
    InstanceRegistrar.State state = registrar.state();
    boolean up =
        state == InstanceRegistrar.State.REGISTERED || state == InstanceRegistrar.State.DISABLED;
    return HealthCheckResponse.named("etcd-registration")
        .status(up)
        .withData("state", state.name())
        .withData("key", registrar.key())
        .build();
  }
}
