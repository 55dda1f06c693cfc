package io.vigil.router.rest;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.topology.RegionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Proxies the monitoring API ({@code /openscale/**}, {@code /v2/**}) with vertx-http-proxy to a
 * healthy instance. A connection that cannot be made (nothing was sent, so any method is safe)
 * ejects the instance and is tried on another zone's instance; with no healthy instance the answer
 * is 503 in the API's error format with {@code Retry-After}. Responses carry {@code Vigil-Zone},
 * {@code Vigil-Region} and {@code Vigil-Attempts}.
 */
@ApplicationScoped
public class ProxyRoute {

  private static final String BACKEND = "vigil.backend";
  private static final String ATTEMPTS = "vigil.attempts";

  private final BackendPool pool;
  private final RouterConfig config;
  private final RegionConfig region;
  private final Vertx vertx;
  private final MeterRegistry metrics;

  ProxyRoute(
      BackendPool pool,
      RouterConfig config,
      RegionConfig region,
      Vertx vertx,
      MeterRegistry metrics) {
    this.pool = pool;
    this.config = config;
    this.region = region;
    this.vertx = vertx;
    this.metrics = metrics;
  }

  void install(@Observes Router router) {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions().setConnectTimeout(1000).setKeepAlive(true).setMaxPoolSize(256));
    HttpProxy proxy = HttpProxy.reverseProxy(client).origin(this::connect);
    proxy.addInterceptor(
        new ProxyInterceptor() {
          @Override
          public Future<Void> handleProxyResponse(ProxyContext context) {
            Backend b = context.get(BACKEND, Backend.class);
            ProxyResponse response = context.response();
            if (b != null) {
              response.putHeader("Vigil-Zone", b.zone());
              metrics
                  .counter(
                      "vigil.router.requests",
                      "zone",
                      b.zone(),
                      "status",
                      (response.getStatusCode() / 100) + "xx")
                  .increment();
            }
            response.putHeader("Vigil-Region", region.name());
            Integer attempts = context.get(ATTEMPTS, Integer.class);
            response.putHeader("Vigil-Attempts", Integer.toString(attempts == null ? 1 : attempts));
            return context.sendResponse().onComplete(done -> end(context));
          }
        });
    router
        .routeWithRegex("^/(openscale|v2)/.*")
        .order(-100)
        .handler(
            rc -> {
              if (pool.choose(Set.of(), Set.of()) == null) {
                metrics.counter("vigil.router.unavailable").increment();
                unavailable(rc.response());
                return;
              }
              proxy.handle(rc.request());
            });
  }

  /** Connects to a healthy backend, trying others (other zones first) when a connection fails. */
  private Future<HttpClientRequest> connect(ProxyContext context) {
    return attempt(context, new HashSet<>(), new HashSet<>(), 1);
  }

  private Future<HttpClientRequest> attempt(
      ProxyContext context, Set<String> zones, Set<String> ids, int n) {
    Backend b = pool.choose(zones, ids);
    if (b == null) {
      return Future.failedFuture("no healthy instance");
    }
    context.set(BACKEND, b);
    context.set(ATTEMPTS, n);
    b.begin();
    return context
        .client()
        .request(new RequestOptions().setHost(b.host()).setPort(b.port()))
        .recover(
            failure -> {
              b.end();
              context.set(BACKEND, null);
              b.eject(failure.getMessage());
              metrics.counter("vigil.router.ejections", "zone", b.zone()).increment();
              zones.add(b.zone());
              ids.add(b.id());
              if (n >= config.connectAttempts()) {
                return Future.failedFuture(failure);
              }
              metrics.counter("vigil.router.retries", "zone", b.zone()).increment();
              return attempt(context, zones, ids, n + 1);
            });
  }

  private static void end(ProxyContext context) {
    Backend b = context.get(BACKEND, Backend.class);
    if (b != null) {
      b.end();
    }
  }

  private static void unavailable(HttpServerResponse response) {
    JsonObject body =
        new JsonObject()
            .put("trace", UUID.randomUUID().toString())
            .put(
                "errors",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("code", "service_unavailable")
                            .put(
                                "message",
                                "no healthy monitoring-service instance in any zone; retry shortly")));
    response
        .setStatusCode(503)
        .putHeader("Content-Type", "application/json")
        .putHeader("Retry-After", "1")
        .end(body.encode());
  }
}
