package io.vigil.router.rest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;
import io.vigil.commons.api.ApiError;
import io.vigil.commons.metrics.OwnedGauges;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.LatencyWindow;
import io.vigil.router.service.RegionFailover;
import io.vigil.router.service.RetryBudget;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Proxies the monitoring API ({@code /openscale/**}, {@code /v2/**}) with vertx-http-proxy to a
 * healthy instance, or to the standby region's routers while the region has failed over.
 *
 * <p>A connection that cannot be made (nothing was sent, so any method is safe) ejects the instance
 * and is tried on another zone. A retry-safe request — an idempotent method, or one with an {@code
 * Idempotency-Key} — whose body fits the replay bound is buffered and is also tried again on
 * another zone after a reset before the answer, an answer of 502/503/504, or no answer within the
 * per-try timeout (derived from recent latency; the last try gets the rest of the deadline), as
 * long as the retry budget allows. A request that is not retry-safe is never sent twice. Responses
 * carry {@code Vigil-Zone}, {@code Vigil-Region} and {@code Vigil-Attempts}.
 */
@ApplicationScoped
public class ProxyRoute {

  private static final String TRIES = "vigil.tries";
  private static final String FAILOVER_HEADER = "Vigil-Failover-From";
  private static final Set<HttpMethod> IDEMPOTENT =
      Set.of(
          HttpMethod.GET,
          HttpMethod.HEAD,
          HttpMethod.OPTIONS,
          HttpMethod.PUT,
          HttpMethod.DELETE,
          HttpMethod.TRACE);

  /** Methods timed as reads; every other one is timed as a write. */
  private static final Set<HttpMethod> READS =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private static final Set<Integer> RETRY_STATUS = Set.of(502, 503, 504);

  private final BackendPool pool;
  private final RegionFailover failover;
  private final RouterConfig config;
  private final RegionConfig region;
  private final Vertx vertx;
  private final MeterRegistry metrics;
  private final RetryBudget budget;
  private final LatencyWindow latency;
  private final LatencyWindow writeLatency;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final OwnedGauges gauges;
  private long timer;

  ProxyRoute(
      BackendPool pool,
      RegionFailover failover,
      RouterConfig config,
      RegionConfig region,
      Vertx vertx,
      MeterRegistry metrics) {
    this.pool = pool;
    this.failover = failover;
    this.config = config;
    this.region = region;
    this.vertx = vertx;
    this.metrics = metrics;
    RouterConfig.Retry retry = config.retry();
    this.budget =
        new RetryBudget(
            retry.budgetRatio(),
            retry.budgetMinPerSecond(),
            retry.budgetWindow(),
            System::nanoTime);
    // reads and writes are timed apart: a write may wait for its durability (its WAL in the
    // standby region) far longer than any read takes, and is not hung for that
    this.latency = latencyWindow(retry);
    this.writeLatency = latencyWindow(retry);
    this.gauges = new OwnedGauges(metrics);
  }

  private static LatencyWindow latencyWindow(RouterConfig.Retry retry) {
    return new LatencyWindow(
        1024, retry.perTryTimeoutMin(), retry.perTryTimeoutMax(), retry.perTryTimeoutMultiplier());
  }

  void onStart(@Observes StartupEvent event) {
    Map.of("read", latency, "write", writeLatency)
        .forEach(
            (kind, window) ->
                gauges.gauge(
                    "vigil.router.per_try_timeout.seconds",
                    Tags.of("kind", kind),
                    "time a retry-safe try waits for an answer before it is tried elsewhere",
                    () -> window.perTryTimeout().toNanos() / 1e9));
    timer =
        vertx.setPeriodic(
            100,
            id -> {
              latency.update();
              writeLatency.update();
            });
  }

  void onStop(@Observes ShutdownEvent event) {
    vertx.cancelTimer(timer);
    gauges.close();
  }

  /** The per-try timeout of reads (GET, HEAD, OPTIONS) and the latency it comes from. */
  public LatencyWindow latency() {
    return latency;
  }

  /** The per-try timeout of writes and the latency it comes from. */
  public LatencyWindow writeLatency() {
    return writeLatency;
  }

  /** One request's tries. */
  private static final class Tries {
    final long start = System.nanoTime();
    final long deadline;
    final boolean standby;
    final boolean replayable;
    final LatencyWindow window;
    final Set<String> zones = new HashSet<>();
    final Set<String> ids = new HashSet<>();

    /** Instances a try timed out on whose readiness has not failed: slow, maybe not hung. */
    final Set<String> slow = new HashSet<>();

    Buffer body;
    Backend current;
    long tryStart;
    int attempts;

    Tries(long deadline, boolean standby, boolean replayable, LatencyWindow window) {
      this.deadline = deadline;
      this.standby = standby;
      this.replayable = replayable;
      this.window = window;
    }

    void avoid(Backend b) {
      zones.add(b.zone());
      ids.add(b.id());
    }
  }

  /**
   * A proxy per event loop, each with its own client: a pooled connection then lives on the event
   * loop of the requests that use it, so no response hops between threads.
   */
  private final ThreadLocal<HttpProxy> proxies = ThreadLocal.withInitial(this::newProxy);

  private HttpProxy newProxy() {
    HttpProxy proxy =
        HttpProxy.reverseProxy(
                vertx.createHttpClient(
                    new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(256)))
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

  void install(@Observes Router router) {
    router
        .routeWithRegex("^/(openscale|v2)/.*")
        .order(-100)
        .handler(
            rc -> {
              HttpServerRequest request = rc.request();
              long length = contentLength(request);
              if (length > config.maxBodySize().asLongValue()) {
                error(
                    request.response(),
                    413,
                    "payload_too_large",
                    "request body of "
                        + length
                        + " bytes is over the limit of "
                        + config.maxBodySize().asLongValue()
                        + " bytes");
                return;
              }
              boolean fromOtherRegion = request.headers().contains(FAILOVER_HEADER);
              boolean servable = pool.anyServing() || (!fromOtherRegion && failover.onStandby());
              if (!servable) {
                count("none", 503);
                metrics.counter("vigil.router.unavailable").increment();
                error(
                    request.response(),
                    503,
                    "service_unavailable",
                    "no healthy monitoring-service instance in any zone; retry shortly");
                return;
              }
              proxies.get().handle(request);
            });
    // anything else the router does not serve: 404 in the API's error format
    router
        .route()
        .order(Integer.MAX_VALUE)
        .handler(
            rc ->
                error(
                    rc.response(),
                    404,
                    "not_found",
                    "no route for " + rc.request().method() + " " + rc.request().path()));
  }

  private Future<ProxyResponse> proxyRequest(ProxyContext context) {
    HttpServerRequest request = context.request().proxiedRequest();
    boolean fromOtherRegion = request.headers().contains(FAILOVER_HEADER);
    boolean standby = !fromOtherRegion && failover.onStandby() && failover.choose(Set.of()) != null;
    boolean retrySafe =
        IDEMPOTENT.contains(request.method()) || request.headers().contains("Idempotency-Key");
    long length = contentLength(request);
    boolean chunked = length < 0 && request.headers().contains("Transfer-Encoding");
    boolean replayable =
        retrySafe && !chunked && length <= config.retry().maxReplayBody().asLongValue();
    Tries tries =
        new Tries(
            System.nanoTime() + config.retry().deadline().toNanos(),
            standby,
            replayable,
            READS.contains(request.method()) ? latency : writeLatency);
    context.set(TRIES, tries);
    budget.request();
    if (standby) {
      context.request().putHeader(FAILOVER_HEADER, region.name());
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

  /** Sends the request once; retries it elsewhere when that is safe and the budget allows. */
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
                int status = response.getStatusCode();
                if (b != null) {
                  tries.window.record(System.nanoTime() - tries.tryStart);
                }
                if (b != null && RETRY_STATUS.contains(status) && mayRetry(tries, b)) {
                  response.release();
                  return tryOnce(context, tries);
                }
                return Future.succeededFuture(response);
              }
              Throwable cause = outcome.cause();
              if (b == null) {
                // no instance could be reached: nothing was sent
                return Future.succeededFuture(
                    errorResponse(
                        context,
                        503,
                        "service_unavailable",
                        "no monitoring-service instance could be reached; retry shortly"));
              }
              boolean timeout = cause instanceof TimeoutException;
              if (timeout) {
                pool.suspect(b);
                tries.slow.add(b.id());
              } else {
                pool.ejected(b, "reset before a response: " + cause.getMessage());
              }
              if (mayRetry(tries, b)) {
                return tryOnce(context, tries);
              }
              b.end();
              tries.current = null;
              return Future.succeededFuture(
                  timeout
                      ? errorResponse(
                          context,
                          504,
                          "gateway_timeout",
                          "the monitoring-service instance did not answer in time")
                      : errorResponse(
                          context,
                          502,
                          "bad_gateway",
                          "the monitoring-service instance failed before answering: "
                              + cause.getMessage()));
            });
  }

  /**
   * Ends the try on {@code b} and takes a retry when the request and the budget allow one and there
   * is an instance to take it; otherwise the answer or failure of this try stands.
   */
  private boolean mayRetry(Tries tries, Backend b) {
    if (!tries.replayable
        || tries.attempts >= config.retry().attempts()
        || System.nanoTime() >= tries.deadline) {
      return false;
    }
    tries.avoid(b);
    if (next(tries) == null || !budget.acquire()) {
      return false;
    }
    b.end();
    tries.current = null;
    count("retries", b.zone());
    return true;
  }

  /** The instance for the next try (other zones first), or null when there is none. */
  private Backend next(Tries tries) {
    if (tries.standby) {
      return failover.choose(tries.ids);
    }
    Backend chosen = pool.choose(tries.zones, tries.ids);
    if (chosen == null && !tries.slow.isEmpty()) {
      // every instance has been tried and some were only slow (a write waiting for its
      // durability, say): try one of those again rather than give up; a hung one is out of the
      // pool by now (its readiness probe failed)
      Set<String> failed = new HashSet<>(tries.ids);
      failed.removeAll(tries.slow);
      chosen = pool.choose(Set.of(), failed);
    }
    return chosen;
  }

  /** Connects to a chosen backend, trying others (other zones first) when a connection fails. */
  private Future<HttpClientRequest> connect(ProxyContext context) {
    Tries tries = context.get(TRIES, Tries.class);
    Backend b = next(tries);
    if (b == null) {
      return Future.failedFuture("no healthy instance");
    }
    tries.current = b;
    tries.attempts++;
    tries.tryStart = System.nanoTime();
    b.begin();
    long remaining = Math.max(1, tries.deadline - tries.tryStart);
    // a request forwarded to the standby region gets the rest of the deadline: the standby router
    // times its own instances, and this region's latency says nothing about another region's
    boolean timed =
        !tries.standby
            && tries.replayable
            && tries.attempts < config.retry().attempts()
            && budget.available();
    long timeout = timed ? Math.min(tries.window.perTryTimeout().toNanos(), remaining) : remaining;
    long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeout));
    return context
        .client()
        .request(
            new RequestOptions()
                .setHost(b.host())
                .setPort(b.port())
                .setConnectTimeout(Math.min(millis, 1000))
                .setIdleTimeout(millis))
        .recover(
            failure -> {
              b.end();
              tries.current = null;
              pool.ejected(b, "connection failed: " + failure.getMessage());
              tries.avoid(b);
              if (tries.attempts >= config.retry().attempts()) {
                return Future.failedFuture(failure);
              }
              count("retries", b.zone());
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
      timer(zone).record(System.nanoTime() - tries.start, TimeUnit.NANOSECONDS);
    }
    count(zone, response.getStatusCode());
    return context
        .sendResponse()
        .onComplete(
            done -> {
              if (b != null) {
                b.end();
              }
            });
  }

  private void count(String zone, int status) {
    counters
        .computeIfAbsent(
            zone + "/" + status / 100,
            k ->
                metrics.counter(
                    "vigil.router.requests", "zone", zone, "status", (status / 100) + "xx"))
        .increment();
  }

  private void count(String what, String zone) {
    counters
        .computeIfAbsent(
            what + "@" + zone, k -> metrics.counter("vigil.router." + what, "zone", zone))
        .increment();
  }

  private Timer timer(String zone) {
    return timers.computeIfAbsent(
        zone,
        z ->
            Timer.builder("vigil.router.latency")
                .description("time from a request's arrival to its response headers")
                .tag("zone", z)
                .publishPercentileHistogram()
                .register(metrics));
  }

  private static long contentLength(HttpServerRequest request) {
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

  private ProxyResponse errorResponse(ProxyContext context, int status, String code, String msg) {
    ProxyResponse response =
        context
            .request()
            .release()
            .response()
            .setStatusCode(status)
            .putHeader("Content-Type", "application/json")
            .setBody(Body.body(Buffer.buffer(ApiError.of(code, msg).encode())));
    if (status == 503) {
      response.putHeader("Retry-After", "1");
    }
    return response;
  }

  private static void error(HttpServerResponse response, int status, String code, String msg) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 503) {
      response.putHeader("Retry-After", "1");
    }
    response.end(ApiError.of(code, msg).encode());
  }
}
