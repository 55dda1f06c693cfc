package io.vigil.cli.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;

/**
 * A minimal stand-in for a monitoring-service instance in the router benchmark: one event loop,
 * {@code /q/health/ready} answers 200, every other path a small JSON body naming the zone. Run as
 * its own process so a zone can be killed or stopped (SIGSTOP) on its own.
 */
public final class EchoBackend {

  private EchoBackend() {}

  /**
   * @param args port and zone
   */
  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String zone = args[1];
    Buffer ready = Buffer.buffer("{\"status\":\"UP\"}");
    Buffer body =
        Buffer.buffer("{\"zone\":\"" + zone + "\",\"subscriptions\":[],\"total_count\":0}");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    vertx
        .createHttpServer()
        .requestHandler(
            req ->
                req.response()
                    .putHeader("Content-Type", "application/json")
                    .end(req.path().equals("/q/health/ready") ? ready : body))
        .listen(port, "127.0.0.1")
        .onSuccess(s -> System.out.println("echo backend of " + zone + " on " + port))
        .onFailure(
            f -> {
              System.err.println("echo backend could not listen on " + port + ": " + f);
              System.exit(1);
            });
  }
}
