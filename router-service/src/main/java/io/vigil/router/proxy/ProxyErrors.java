package io.vigil.router.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyResponse;
import io.vigil.commons.api.ApiError;

/** The router's own answers, in the API's error format; a 503 carries {@code Retry-After: 1}. */
public final class ProxyErrors {

  private ProxyErrors() {}

  /** Answers a request the router does not forward. */
  public static void write(HttpServerResponse response, int status, String code, String message) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 503) {
      response.putHeader("Retry-After", "1");
    }
    response.end(ApiError.of(code, message).encode());
  }

  /** Answers a proxied request whose tries all failed. */
  static ProxyResponse respond(ProxyContext context, int status, String code, String message) {
    ProxyResponse response =
        context
            .request()
            .release()
            .response()
            .setStatusCode(status)
            .putHeader("Content-Type", "application/json")
            .setBody(Body.body(Buffer.buffer(ApiError.of(code, message).encode())));
    if (status == 503) {
      response.putHeader("Retry-After", "1");
    }
    return response;
  }
}
