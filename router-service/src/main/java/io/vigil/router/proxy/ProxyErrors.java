package io.vigil.router.proxy;

import io.vertx.core.http.HttpServerResponse;
import io.vigil.commons.api.ApiError;

/** The router's own answers, in the API's error format; a 503 carries {@code Retry-After: 1}. */
public final class ProxyErrors {

  private ProxyErrors() {}

  /** Answers with the router's own error: a request it does not forward, or whose tries failed. */
  public static void write(HttpServerResponse response, int status, String code, String message) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 503) {
      response.putHeader("Retry-After", "1");
    }
    response.end(ApiError.of(code, message).encode());
  }
}
