package io.vigil.router;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vigil.process.Ports;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for the standby region's router on loopback: ready, and answering every request as
 * region {@code us-east} with the {@code Vigil-Failover-From} header it received.
 */
public class StandbyRouterResource implements QuarkusTestResourceLifecycleManager {

  private Vertx vertx;

  @Override
  public Map<String, String> start() {
    vertx = Vertx.vertx();
    int port = Ports.free();
    try {
      vertx
          .createHttpServer()
          .requestHandler(
              req -> {
                if (req.path().equals("/q/health/ready")) {
                  req.response().end("{\"status\":\"UP\"}");
                  return;
                }
                req.response()
                    .putHeader("Vigil-Region", "us-east")
                    .putHeader("Vigil-Zone", "zone-s")
                    .putHeader("Content-Type", "application/json")
                    .end(
                        "{\"zone\":\"zone-s\",\"failover_from\":\""
                            + req.getHeader("Vigil-Failover-From")
                            + "\"}");
              })
          .listen(port, "127.0.0.1")
          .toCompletionStage()
          .toCompletableFuture()
          .get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("standby router stand-in did not start", e);
    }
    return Map.of(
        "vigil.router.standby.routers",
        "http://127.0.0.1:" + port,
        "vigil.router.standby.failback-hold",
        "2s");
  }

  @Override
  public void stop() {
    if (vertx != null) {
      vertx.close();
    }
  }
}
