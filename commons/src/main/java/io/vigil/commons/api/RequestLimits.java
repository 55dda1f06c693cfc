package io.vigil.commons.api;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The request line and header limits, answered in the API's error format: a URI longer than {@value
 * #MAX_URI} characters is 414 {@code uri_too_long}, headers over {@value #MAX_HEADERS} bytes are
 * 431 {@code headers_too_large}. Vert.x's own codec limits are set far above these ({@code
 * quarkus.http.limits.max-initial-line-length} and {@code max-header-size}, 64 KB), since the codec
 * answers with an empty body; only a request past those gets its bare 414/431. A request whose body
 * has not arrived in full within {@code vigil.http.request-timeout} of its headers is answered 408
 * {@code request_timeout} and its connection closed (the idle timeout only catches a client that
 * stops sending; this catches one that trickles).
 */
@Singleton
public class RequestLimits {

  private final long timeoutMillis;

  RequestLimits(
      @ConfigProperty(name = "vigil.http.request-timeout", defaultValue = "120s")
          java.time.Duration timeout) {
    this.timeoutMillis = timeout.toMillis();
  }

  /** Longest request URI (path and query). */
  public static final int MAX_URI = 4096;

  /** Largest total size of the request headers (names and values). */
  public static final int MAX_HEADERS = 20 * 1024;

  void install(@Observes Router router) {
    router.route().order(Integer.MIN_VALUE).handler(this::check);
  }

  private void check(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    if (request.uri().length() > MAX_URI) {
      refuse(rc, 414, "uri_too_long", "the request URI is over " + MAX_URI + " characters");
    } else if (size(request.headers()) > MAX_HEADERS) {
      refuse(
          rc, 431, "headers_too_large", "the request headers are over " + MAX_HEADERS + " bytes");
    } else {
      if (!request.isEnded() && bodyDeclared(request)) {
        // a body still to come: it must arrive in full within the timeout (a request without
        // one, most reads, costs no timer)
        long timer =
            rc.vertx()
                .setTimer(
                    timeoutMillis,
                    t -> {
                      if (!request.isEnded() && !rc.response().headWritten()) {
                        refuse(
                            rc,
                            408,
                            "request_timeout",
                            "the request body did not arrive within " + timeoutMillis + " ms");
                        request.connection().close();
                      }
                    });
        rc.addEndHandler(v -> rc.vertx().cancelTimer(timer));
      }
      rc.next();
    }
  }

  /**
   * Whether a body follows the headers: HTTP/1.1 says so with a Content-Length other than 0 or a
   * Transfer-Encoding; an HTTP/2 stream not yet ended may always carry one.
   */
  static boolean bodyDeclared(HttpServerRequest request) {
    if (request.version() == io.vertx.core.http.HttpVersion.HTTP_2) {
      return true;
    }
    String length = request.getHeader(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH);
    return (length != null && !length.trim().equals("0"))
        || request.headers().contains(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
  }

  private static int size(MultiMap headers) {
    int n = 0;
    for (Map.Entry<String, String> h : headers) {
      n += h.getKey().length() + h.getValue().length() + 4;
    }
    return n;
  }

  private static void refuse(RoutingContext rc, int status, String code, String message) {
    rc.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(ApiError.of(code, message).encode());
  }
}
