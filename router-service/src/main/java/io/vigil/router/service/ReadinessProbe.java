package io.vigil.router.service;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vigil.router.config.RouterConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * {@code GET /q/health/ready} on a backend's management interface with the health-check timeout;
 * 200 passes.
 */
@ApplicationScoped
public class ReadinessProbe {

  private final Vertx vertx;
  private final RouterConfig config;
  private final BackendTls tls;
  private volatile HttpClient client;

  ReadinessProbe(Vertx vertx, RouterConfig config, BackendTls tls) {
    this.vertx = vertx;
    this.config = config;
    this.tls = tls;
  }

  void onStart(@Observes StartupEvent event) {
    client =
        vertx.createHttpClient(
            tls.apply(
                new HttpClientOptions()
                    .setConnectTimeout((int) config.healthCheck().timeout().toMillis())
                    .setKeepAlive(true)));
  }

  /** One active check of {@code b}: a pass or a failure counted toward its rise/fall hysteresis. */
  public void check(Backend b) {
    probe(b)
        .onSuccess(v -> b.checkPassed(config.healthCheck().rise()))
        .onFailure(f -> b.checkFailed(config.healthCheck().fall(), f.getMessage()));
  }

  /** Succeeds when the backend answers 200 in time; fails with the reason otherwise. */
  public Future<Void> probe(Backend b) {
    HttpClient c = client;
    if (c == null) {
      return Future.failedFuture("router still starting");
    }
    return c.request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(b.checkHost())
                .setPort(b.checkPort())
                .setSsl(b.checkTls())
                .setURI("/q/health/ready")
                .setIdleTimeout(config.healthCheck().timeout().toMillis()))
        .compose(req -> req.send())
        .compose(
            response ->
                response
                    .body()
                    .compose(
                        body ->
                            response.statusCode() == 200
                                ? Future.<Void>succeededFuture()
                                : Future.failedFuture(
                                    "readiness answered " + response.statusCode())),
            failure -> Future.failedFuture("health check failed: " + failure.getMessage()));
  }
}
