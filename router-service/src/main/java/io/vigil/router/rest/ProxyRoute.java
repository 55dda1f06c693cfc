package io.vigil.router.rest;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.proxy.ProxyErrors;
import io.vigil.router.proxy.ProxyHandler;
import io.vigil.router.proxy.ProxyMetrics;
import io.vigil.router.proxy.Warmup;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.RegionFailover;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Installs the proxied routes ({@code /openscale/**}, {@code /v2/**}) ahead of the REST routes and
 * admits a request before {@link ProxyHandler} forwards it: a body over the limit is 413, and with
 * no instance serving in any zone (and no standby region to take it) 503. Anything else the router
 * does not serve is 404, in the API's error format.
 */
@Singleton
public class ProxyRoute {

  private final BackendPool pool;
  private final RegionFailover failover;
  private final RouterConfig config;
  private final ProxyHandler proxy;
  private final ProxyMetrics metrics;
  private final Warmup warmup;

  ProxyRoute(
      BackendPool pool,
      RegionFailover failover,
      RouterConfig config,
      ProxyHandler proxy,
      ProxyMetrics metrics,
      Warmup warmup) {
    this.warmup = warmup;
    this.pool = pool;
    this.failover = failover;
    this.config = config;
    this.proxy = proxy;
    this.metrics = metrics;
  }

  void install(@Observes Router router) {
    // prefix routes ahead of every other route (no regular expression, no path parameter)
    for (String prefix : new String[] {"/openscale/*", "/v2/*"}) {
      router.route(prefix).order(-100).handler(rc -> admit(rc.request()));
    }
    router
        .route()
        .order(Integer.MAX_VALUE)
        .handler(
            rc ->
                ProxyErrors.write(
                    rc.response(),
                    404,
                    "not_found",
                    "no route for " + rc.request().method() + " " + rc.request().path()));
  }

  private void admit(HttpServerRequest request) {
    if (!plainPath(request.path())) {
      ProxyErrors.write(
          request.response(),
          400,
          "invalid_path",
          "the path has dot segments, encoded dots, slashes or backslashes, or empty segments");
      return;
    }
    long length = ProxyHandler.contentLength(request);
    long limit = config.maxBodySize().asLongValue();
    if (length > limit) {
      ProxyErrors.write(
          request.response(),
          413,
          "payload_too_large",
          "request body of " + length + " bytes is over the limit of " + limit + " bytes");
      return;
    }
    Backend pinned = warmup.pinned(request);
    boolean fromOtherRegion = request.headers().contains(ProxyHandler.FAILOVER_HEADER);
    if (pinned == null && !pool.anyServing() && (fromOtherRegion || !failover.onStandby())) {
      metrics.unavailable();
      ProxyErrors.write(
          request.response(),
          503,
          "service_unavailable",
          "no healthy monitoring-service instance in any zone; retry shortly");
      return;
    }
    proxy.handle(request, pinned);
  }

  /**
   * Whether a path reaches the instance as the router matched it: no dot segments, no encoded dot,
   * slash or backslash, no backslash and no empty segment — anything an instance would normalize
   * differently (say {@code /openscale/../q/metrics}) is refused rather than forwarded.
   */
  static boolean plainPath(String path) {
    if (path == null) {
      return false;
    }
    int n = path.length();
    int segment = 0; // where the current segment starts
    for (int i = 0; i <= n; i++) {
      char c = i < n ? path.charAt(i) : '/';
      if (c == '\\') {
        return false;
      }
      if (c == '%' && i + 2 < n) {
        char hi = path.charAt(i + 1);
        char lo = Character.toLowerCase(path.charAt(i + 2));
        // %2e (dot), %2f (slash), %5c (backslash)
        if ((hi == '2' && (lo == 'e' || lo == 'f')) || (hi == '5' && lo == 'c')) {
          return false;
        }
      }
      if (c == '/') {
        int length = i - segment;
        // an empty segment (not the leading one), "." or ".."
        if ((length == 0 && i > 0 && i < n)
            || (length == 1 && path.charAt(segment) == '.')
            || (length == 2 && path.charAt(segment) == '.' && path.charAt(segment + 1) == '.')) {
          return false;
        }
        segment = i + 1;
      }
    }
    return true;
  }
}
