package io.vigil.router.service;

import io.quarkus.tls.TlsConfigurationRegistry;
import io.vertx.core.http.HttpClientOptions;
import io.vigil.router.config.RouterConfig;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * How the router's clients (requests, readiness checks, the standby region) trust instances reached
 * at {@code https} URLs: the trust store of the application's default TLS configuration ({@code
 * quarkus.tls.trust-store.*}, the Quarkus TLS registry), the JVM's own otherwise; host names are
 * verified unless {@code vigil.router.tls.verify-host} is off (a private authority whose
 * certificates cannot name pod addresses).
 */
@ApplicationScoped
public class BackendTls {

  private final TlsConfigurationRegistry registry;
  private final RouterConfig config;

  BackendTls(TlsConfigurationRegistry registry, RouterConfig config) {
    this.registry = registry;
    this.config = config;
  }

  /** {@code options} ready for requests with {@code setSsl(true)}. */
  public HttpClientOptions apply(HttpClientOptions options) {
    registry
        .getDefault()
        .ifPresent(
            tls -> {
              if (tls.isTrustAll()) {
                options.setTrustAll(true);
              } else if (tls.getTrustStoreOptions() != null) {
                options.setTrustOptions(tls.getTrustStoreOptions());
              }
            });
    return options.setVerifyHost(config.tls().verifyHost());
  }
}
