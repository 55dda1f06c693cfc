package io.vigil.router.proxy;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.BackendTls;
import io.vigil.router.service.RegionFailover;
import io.vigil.router.service.RetryBudget;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;

/**
 * Forwards a request to a healthy instance, or to the standby region's routers while the region has
 * failed over, by the rules of {@link RetryPolicy}, on the Vert.x HTTP client itself: headers are
 * copied once (hop-by-hop ones dropped, the client's authority kept), a body the router holds is
 * sent whole, a small answer (up to {@value #WHOLE_ANSWER} bytes with a length) is read and written
 * in one go, and anything larger or of unknown length streams through with back-pressure.
 *
 * <p>A connection that cannot be made (nothing was sent, so any method is safe) ejects the instance
 * and is tried on another zone. A retry-safe request — an idempotent method, or one with an {@code
 * Idempotency-Key} — whose body fits the replay bound is buffered and is also tried again on
 * another zone after a reset before the answer, an answer of 502/503/504, or no answer within the
 * per-try timeout. A request that is not retry-safe is never sent twice. Responses carry {@code
 * Vigil-Zone}, {@code Vigil-Region} and {@code Vigil-Attempts}.
 */
@Singleton
public class ProxyHandler {

  /** Set on a request forwarded to the standby region: it is never forwarded back. */
  public static final String FAILOVER_HEADER = "Vigil-Failover-From";

  /** An answer up to this size with a known length is written in one go rather than streamed. */
  static final int WHOLE_ANSWER = 64 * 1024;

  private static final Set<HttpMethod> IDEMPOTENT =
      Set.of(
          HttpMethod.GET,
          HttpMethod.HEAD,
          HttpMethod.OPTIONS,
          HttpMethod.PUT,
          HttpMethod.DELETE,
          HttpMethod.TRACE);

  /**
   * Headers of one connection, never forwarded (RFC 9110 7.6.1), and Host (the client's authority
   * is set on the request itself); compared ignoring case without a lower-cased copy per header.
   */
  private static final Set<String> HOP_BY_HOP = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

  static {
    HOP_BY_HOP.addAll(
        List.of(
            "connection",
            "keep-alive",
            "proxy-authenticate",
            "proxy-authorization",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "host"));
  }

  private final BackendPool pool;
  private final RegionFailover failover;
  private final BackendTls tls;
  private final RouterConfig config;
  private final Vertx vertx;
  private final RetryPolicy policy;
  private final TryTimeouts timeouts;
  private final ProxyMetrics metrics;
  private final String regionName;
  private final long maxBody;
  private final long maxReplay;
  private final long deadlineNanos;

  /**
   * A client per event loop: a pooled connection then lives on the event loop of the requests that
   * use it, so no answer hops between threads.
   */
  private final ThreadLocal<HttpClient> clients = ThreadLocal.withInitial(this::newClient);

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
    this.vertx = vertx;
    this.timeouts = timeouts;
    this.metrics = metrics;
    this.regionName = region.name();
    RouterConfig.Retry retry = config.retry();
    this.maxBody = config.maxBodySize().asLongValue();
    this.maxReplay = retry.maxReplayBody().asLongValue();
    this.deadlineNanos = retry.deadline().toNanos();
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

  private HttpClient newClient() {
    return vertx.createHttpClient(
        tls.apply(new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(256)));
  }

  /**
   * Forwards {@code request} (admitted by the route) to an instance of the region, or to {@code
   * pinned} when not null (the warm-up's own target: no metrics, no latency recorded).
   */
  public void handle(HttpServerRequest request, Backend pinned) {
    MultiMap headers = request.headers();
    boolean fromOtherRegion = headers.contains(FAILOVER_HEADER);
    boolean standby = !fromOtherRegion && failover.onStandby() && failover.choose(Set.of()) != null;
    HttpMethod method = request.method();
    boolean retrySafe = IDEMPOTENT.contains(method) || headers.contains("Idempotency-Key");
    long length = contentLength(request);
    // a body of unknown length: chunked in HTTP/1.1, a stream not yet ended in HTTP/2
    boolean chunked =
        length < 0
            && (headers.contains(HttpHeaders.TRANSFER_ENCODING)
                || (request.version() == HttpVersion.HTTP_2 && !request.isEnded()));
    boolean replayable = retrySafe && !chunked && length <= maxReplay;
    long now = System.nanoTime();
    Tries tries =
        new Tries(request, now, now + deadlineNanos, standby, replayable, timeouts.of(method));
    tries.pinned = pinned;
    policy.request();
    if (chunked) {
      // a body of unknown length is counted as it streams: over the limit, 413 from here
      tries.limited = new LimitedBody(request, maxBody);
      tries.stream = tries.limited;
    } else if (length > 0 && !replayable) {
      tries.stream = request; // sent once, as it arrives
    } else if (length > 0) {
      Future<Buffer> body = request.body();
      request.resume(); // the server hands requests over paused
      body.onSuccess(
          buffered -> {
            tries.body = buffered;
            attempt(tries);
          });
      return;
    }
    attempt(tries);
  }

  /** Sends the request to the next instance, connecting elsewhere while connections fail. */
  private void attempt(Tries tries) {
    Backend b = policy.next(tries);
    if (b == null) {
      unreachable(tries);
      return;
    }
    long millis = policy.begin(tries, b, System.nanoTime());
    HttpServerRequest request = tries.request;
    RequestOptions options =
        new RequestOptions()
            .setMethod(request.method())
            .setHost(b.host())
            .setPort(b.port())
            .setSsl(b.tls())
            .setURI(request.uri())
            .setConnectTimeout(Math.min(millis, 1000))
            .setIdleTimeout(millis);
    clients
        .get()
        .request(options)
        .onComplete(
            connected -> {
              if (connected.failed()) {
                pool.ejected(b, "connection failed: " + connected.cause().getMessage());
                if (policy.mayReconnect(tries, b)) {
                  metrics.retried(b.zone());
                  attempt(tries);
                } else {
                  unreachable(tries);
                }
                return;
              }
              send(tries, b, connected.result());
            });
  }

  private void send(Tries tries, Backend b, HttpClientRequest out) {
    HttpServerRequest request = tries.request;
    MultiMap forwarded = out.headers();
    copy(request.headers(), forwarded);
    if (request.authority() != null) {
      out.authority(request.authority());
    }
    if (tries.standby) {
      forwarded.set(FAILOVER_HEADER, regionName);
    }
    Future<HttpClientResponse> answer;
    if (tries.body != null) {
      answer = out.send(tries.body);
    } else if (tries.stream != null) {
      if (!forwarded.contains(HttpHeaders.CONTENT_LENGTH)) {
        out.setChunked(true);
      }
      // a broken upload (over the limit, or the client gone) resets the instance's request
      // rather than ending it: the instance never takes a cut body for a whole one
      tries
          .stream
          .pipe()
          .endOnFailure(false)
          .to(out)
          .onFailure(
              cut -> {
                tries.uploadCut = true;
                out.reset(0, cut);
              });
      answer = out.response();
    } else {
      answer = out.send();
    }
    answer.onComplete(outcome -> answered(tries, b, outcome));
  }

  private void answered(Tries tries, Backend b, AsyncResult<HttpClientResponse> outcome) {
    if (outcome.succeeded()) {
      HttpClientResponse response = outcome.result();
      if (tries.pinned == null) {
        tries.window.record(System.nanoTime() - tries.tryStart);
      }
      int status = response.statusCode();
      if ((status == 502 || status == 503 || status == 504) && retry(tries, b)) {
        // the refused answer is read to its end, so its connection stays usable
        response.body().onComplete(ignored -> attempt(tries));
        return;
      }
      forward(tries, b, response);
      return;
    }
    if (tries.uploadCut) {
      // the router or the client cut the upload, not the instance: nothing against its health
      tries.endTry();
      if (tries.limited != null && tries.limited.exceeded()) {
        fail(
            tries,
            413,
            "payload_too_large",
            "request body over the limit of " + maxBody + " bytes");
      } else {
        tries.request.response().reset();
      }
      return;
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
      attempt(tries);
      return;
    }
    tries.endTry();
    if (timeout) {
      fail(tries, 504, "gateway_timeout", "the monitoring-service instance did not answer in time");
    } else {
      fail(
          tries,
          502,
          "bad_gateway",
          "the monitoring-service instance failed before answering: " + cause.getMessage());
    }
  }

  private boolean retry(Tries tries, Backend b) {
    if (!policy.mayRetry(tries, b, System.nanoTime())) {
      return false;
    }
    metrics.retried(b.zone());
    return true;
  }

  /** Writes the instance's answer to the client: small ones whole, others streamed. */
  private void forward(Tries tries, Backend b, HttpClientResponse response) {
    HttpServerResponse out = tries.request.response();
    out.setStatusCode(response.statusCode());
    MultiMap headers = out.headers();
    copy(response.headers(), headers);
    decorate(tries, b, headers);
    if (tries.pinned == null) {
      metrics.latency(b.zone(), tries.start);
      metrics.answered(b.zone(), response.statusCode());
    }
    long length = contentLength(response.getHeader(HttpHeaders.CONTENT_LENGTH));
    if (length >= 0 && length <= WHOLE_ANSWER) {
      response
          .body()
          .onComplete(
              body -> {
                tries.endTry();
                if (body.succeeded()) {
                  out.end(body.result());
                } else {
                  out.reset();
                }
              });
      return;
    }
    if (length < 0 && tries.request.version() != HttpVersion.HTTP_2) {
      out.setChunked(true);
    }
    response.pipeTo(out).onComplete(done -> tries.endTry());
  }

  /** No instance could be reached: nothing was sent, so the client may simply retry. */
  private void unreachable(Tries tries) {
    fail(
        tries,
        503,
        "service_unavailable",
        "no monitoring-service instance could be reached; retry shortly");
  }

  /** The router's own answer when no try could be answered. */
  private void fail(Tries tries, int status, String code, String message) {
    HttpServerResponse out = tries.request.response();
    decorate(tries, tries.current, out.headers());
    if (tries.pinned == null) {
      String zone = tries.current == null ? "none" : tries.current.zone();
      metrics.latency(zone, tries.start);
      metrics.answered(zone, status);
    }
    ProxyErrors.write(out, status, code, message);
  }

  /** Where the answer came from: the zone and region (not for the standby's), and the tries. */
  private void decorate(Tries tries, Backend b, MultiMap headers) {
    if (b != null && !tries.standby) {
      headers.set("Vigil-Zone", b.zone());
      headers.set("Vigil-Region", regionName);
    } else if (b == null) {
      headers.set("Vigil-Region", regionName);
    }
    headers.set("Vigil-Attempts", Integer.toString(Math.max(1, tries.attempts)));
  }

  /** Copies end-to-end headers: no hop-by-hop ones, none a Connection header names. */
  private static void copy(MultiMap from, MultiMap to) {
    String connection = from.get(HttpHeaders.CONNECTION);
    for (Map.Entry<String, String> h : from) {
      String name = h.getKey();
      if (name.isEmpty() || name.charAt(0) == ':') {
        continue; // HTTP/2 pseudo-headers
      }
      if (HOP_BY_HOP.contains(name) || (connection != null && named(connection, name))) {
        continue;
      }
      to.add(name, h.getValue());
    }
  }

  /** Whether a Connection header's comma-separated list names {@code name}. */
  private static boolean named(String connection, String name) {
    for (String token : connection.split(",")) {
      if (token.trim().equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** The request's {@code Content-Length}, or -1 when it has none (or not a number). */
  public static long contentLength(HttpServerRequest request) {
    return contentLength(request.getHeader(HttpHeaders.CONTENT_LENGTH));
  }

  private static long contentLength(String value) {
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
