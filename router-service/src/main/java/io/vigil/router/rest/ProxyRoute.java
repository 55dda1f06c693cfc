package io.vigil.router.rest;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.proxy.ProxyErrors;
import io.vigil.router.proxy.ProxyHandler;
import io.vigil.router.proxy.ProxyMetrics;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.RegionFailover;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Installs the proxied routes ({@code /openscale/**}, {@code /v2/**}) ahead of the REST routes and
 * admits a request before {@link ProxyHandler} forwards it: a body over the limit is 413, and with
 * no instance serving in any zone (and no standby region to take it) 503. Anything else the router
 * does not serve is 404, in the API's error format.
 */
@ApplicationScoped
public class ProxyRoute {

  private final BackendPool pool;
  private final RegionFailover failover;
  private final RouterConfig config;
  private final ProxyHandler proxy;
  private final ProxyMetrics metrics;

  ProxyRoute(
      BackendPool pool,
      RegionFailover failover,
      RouterConfig config,
      ProxyHandler proxy,
      ProxyMetrics metrics) {
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
    boolean fromOtherRegion = request.headers().contains(ProxyHandler.FAILOVER_HEADER);
    if (!pool.anyServing() && (fromOtherRegion || !failover.onStandby())) {
      metrics.unavailable();
      ProxyErrors.write(
          request.response(),
          503,
          "service_unavailable",
          "no healthy monitoring-service instance in any zone; retry shortly");
      return;
    }
    proxy.handle(request);
  }

  /**
   * Whether a path reaches the instance as the router matched it: no dot segments, no encoded dot,
   * slash or backslash, no backslash and no empty segment — anything an instance would normalize
   * differently (say {@code /openscale/../q/metrics}) is refused rather than forwarded.
   */
  static boolean plainPath(String path) {
    if (path == null || path.contains("//") || path.indexOf('\\') >= 0) {
      return false;
    }
    String lower = path.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c")) {
      return false;
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }
}
