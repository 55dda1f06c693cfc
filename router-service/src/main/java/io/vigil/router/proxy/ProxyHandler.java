package io.vigil.router.proxy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.BackendTls;
import io.vigil.router.service.RegionFailover;
import io.vigil.router.service.RetryBudget;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Forwards a request with vertx-http-proxy to a healthy instance, or to the standby region's
 * routers while the region has failed over, by the rules of {@link RetryPolicy}.
 *
 * <p>A connection that cannot be made (nothing was sent, so any method is safe) ejects the instance
 * and is tried on another zone. A retry-safe request — an idempotent method, or one with an {@code
 * Idempotency-Key} — whose body fits the replay bound is buffered and is also tried again on
 * another zone after a reset before the answer, an answer of 502/503/504, or no answer within the
 * per-try timeout. A request that is not retry-safe is never sent twice. Responses carry {@code
 * Vigil-Zone}, {@code Vigil-Region} and {@code Vigil-Attempts}.
 */
@ApplicationScoped
public class ProxyHandler {

  /** Set on a request forwarded to the standby region: it is never forwarded back. */
  public static final String FAILOVER_HEADER = "Vigil-Failover-From";

  private static final String TRIES = "vigil.tries";
  private static final Set<HttpMethod> IDEMPOTENT =
      Set.of(
          HttpMethod.GET,
          HttpMethod.HEAD,
          HttpMethod.OPTIONS,
          HttpMethod.PUT,
          HttpMethod.DELETE,
          HttpMethod.TRACE);
  private static final Set<Integer> RETRY_STATUS = Set.of(502, 503, 504);

  private final BackendPool pool;
  private final RegionFailover failover;
  private final BackendTls tls;
  private final RouterConfig config;
  private final RegionConfig region;
  private final Vertx vertx;
  private final RetryPolicy policy;
  private final TryTimeouts timeouts;
  private final ProxyMetrics metrics;

  /**
   * A proxy per event loop, each with its own client: a pooled connection then lives on the event
   * loop of the requests that use it, so no response hops between threads.
   */
  private final ThreadLocal<HttpProxy> proxies = ThreadLocal.withInitial(this::newProxy);

  ProxyHandler(
      BackendPool pool,
      RegionFailover failover,
      RouterConfig config,
      RegionConfig region,
      Vertx vertx,
      TryTimeouts timeouts,
      ProxyMetrics metrics,
      BackendTls tls) {
    this.tls = tls;
    this.pool = pool;
    this.failover = failover;
    this.config = config;
    this.region = region;
    this.vertx = vertx;
    this.timeouts = timeouts;
    this.metrics = metrics;
    RouterConfig.Retry retry = config.retry();
    this.policy =
        new RetryPolicy(
            retry.attempts(),
            new RetryBudget(
                retry.budgetRatio(),
                retry.budgetMinPerSecond(),
                retry.budgetWindow(),
                System::nanoTime),
            pool::choose,
            (zones, ids) -> failover.choose(ids));
  }

  /** Forwards {@code request} (admitted by the route). */
  public void handle(HttpServerRequest request) {
    proxies.get().handle(request);
  }

  private HttpProxy newProxy() {
    HttpProxy proxy =
        HttpProxy.reverseProxy(
                vertx.createHttpClient(
                    tls.apply(new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(256))))
            .origin(this::connect);
    proxy.addInterceptor(
        new ProxyInterceptor() {
          @Override
          public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
            return proxyRequest(context);
          }

          @Override
          public Future<Void> handleProxyResponse(ProxyContext context) {
            return proxyResponse(context);
          }
        });
    return proxy;
  }

  private Future<ProxyResponse> proxyRequest(ProxyContext context) {
    HttpServerRequest request = context.request().proxiedRequest();
    boolean fromOtherRegion = request.headers().contains(FAILOVER_HEADER);
    boolean standby = !fromOtherRegion && failover.onStandby() && failover.choose(Set.of()) != null;
    boolean retrySafe =
        IDEMPOTENT.contains(request.method()) || request.headers().contains("Idempotency-Key");
    long length = contentLength(request);
    // a body of unknown length: chunked in HTTP/1.1, a stream not yet ended in HTTP/2
    boolean chunked =
        length < 0
            && (request.headers().contains("Transfer-Encoding")
                || (request.version() == io.vertx.core.http.HttpVersion.HTTP_2
                    && !request.isEnded()));
    boolean replayable =
        retrySafe && !chunked && length <= config.retry().maxReplayBody().asLongValue();
    long now = System.nanoTime();
    Tries tries =
        new Tries(
            now,
            now + config.retry().deadline().toNanos(),
            standby,
            replayable,
            timeouts.of(request.method()));
    context.set(TRIES, tries);
    policy.request();
    if (standby) {
      context.request().putHeader(FAILOVER_HEADER, region.name());
    }
    if (chunked) {
      // a body of unknown length is counted as it streams: over the limit, 413 from here
      tries.limited = new LimitedBody(request, config.maxBodySize().asLongValue());
      context.request().setBody(Body.body(tries.limited, -1));
    }
    if (!replayable) {
      return tryOnce(context, tries);
    }
    if (length <= 0) {
      context.request().setBody(null);
      return tryOnce(context, tries);
    }
    Future<Buffer> body = request.body();
    request.resume(); // the server hands requests over paused
    return body.compose(
        buffered -> {
          tries.body = buffered;
          return tryOnce(context, tries);
        });
  }

  /** Sends the request once; retries it elsewhere when the policy allows. */
  private Future<ProxyResponse> tryOnce(ProxyContext context, Tries tries) {
    if (tries.replayable && tries.body != null) {
      context.request().setBody(Body.body(tries.body));
    }
    return context
        .sendRequest()
        .transform(
            outcome -> {
              Backend b = tries.current;
              if (outcome.succeeded()) {
                ProxyResponse response = outcome.result();
                if (b != null) {
                  tries.window.record(System.nanoTime() - tries.tryStart);
                }
                if (b != null
                    && RETRY_STATUS.contains(response.getStatusCode())
                    && retry(tries, b)) {
                  response.release();
                  return tryOnce(context, tries);
                }
                return Future.succeededFuture(response);
              }
              if (b == null) {
                // no instance could be reached: nothing was sent
                return Future.succeededFuture(
                    ProxyErrors.respond(
                        context,
                        503,
                        "service_unavailable",
                        "no monitoring-service instance could be reached; retry shortly"));
              }
              if (tries.limited != null && tries.limited.exceeded()) {
                // the router cut the upload, not the instance: nothing against its health
                tries.endTry();
                return Future.succeededFuture(
                    ProxyErrors.respond(
                        context,
                        413,
                        "payload_too_large",
                        "request body over the limit of "
                            + config.maxBodySize().asLongValue()
                            + " bytes"));
              }
              Throwable cause = outcome.cause();
              boolean timeout = cause instanceof TimeoutException;
              if (timeout) {
                pool.suspect(b);
                tries.slow.add(b.id());
              } else {
                pool.ejected(b, "reset before a response: " + cause.getMessage());
              }
              if (retry(tries, b)) {
                return tryOnce(context, tries);
              }
              tries.endTry();
              return Future.succeededFuture(
                  timeout
                      ? ProxyErrors.respond(
                          context,
                          504,
                          "gateway_timeout",
                          "the monitoring-service instance did not answer in time")
                      : ProxyErrors.respond(
                          context,
                          502,
                          "bad_gateway",
                          "the monitoring-service instance failed before answering: "
                              + cause.getMessage()));
            });
  }

  private boolean retry(Tries tries, Backend b) {
    if (!policy.mayRetry(tries, b, System.nanoTime())) {
      return false;
    }
    metrics.retried(b.zone());
    return true;
  }

  /** Connects to a chosen backend, trying others (other zones first) when a connection fails. */
  private Future<HttpClientRequest> connect(ProxyContext context) {
    Tries tries = context.get(TRIES, Tries.class);
    Backend b = policy.next(tries);
    if (b == null) {
      return Future.failedFuture("no healthy instance");
    }
    long millis = policy.begin(tries, b, System.nanoTime());
    return context
        .client()
        .request(
            new RequestOptions()
                .setHost(b.host())
                .setPort(b.port())
                .setSsl(b.tls())
                .setConnectTimeout(Math.min(millis, 1000))
                .setIdleTimeout(millis))
        .recover(
            failure -> {
              pool.ejected(b, "connection failed: " + failure.getMessage());
              if (!policy.mayReconnect(tries, b)) {
                return Future.failedFuture(failure);
              }
              metrics.retried(b.zone());
              return connect(context);
            });
  }

  private Future<Void> proxyResponse(ProxyContext context) {
    Tries tries = context.get(TRIES, Tries.class);
    ProxyResponse response = context.response();
    Backend b = tries == null ? null : tries.current;
    String zone = b == null ? "none" : b.zone();
    if (b != null && !tries.standby) {
      response.putHeader("Vigil-Zone", b.zone());
      response.putHeader("Vigil-Region", region.name());
    } else if (b == null) {
      response.putHeader("Vigil-Region", region.name());
    }
    if (tries != null) {
      response.putHeader("Vigil-Attempts", Integer.toString(Math.max(1, tries.attempts)));
      metrics.latency(zone, tries.start);
    }
    metrics.answered(zone, response.getStatusCode());
    return context
        .sendResponse()
        .onComplete(
            done -> {
              if (b != null) {
                b.end();
              }
            });
  }

  /** The request's {@code Content-Length}, or -1 when it has none (or not a number). */
  public static long contentLength(HttpServerRequest request) {
    String value = request.getHeader("Content-Length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
