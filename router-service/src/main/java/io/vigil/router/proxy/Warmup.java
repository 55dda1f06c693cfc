package io.vigil.router.proxy;

import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.RequestOptions;
import io.vigil.router.config.RouterConfig;
import io.vigil.router.service.Backend;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Warms the forwarding path up before the router reports ready, so a fresh JVM serves at its full
 * rate soon after it takes traffic (the JIT needs tens of thousands of requests; the AOT cache's
 * training run records this path too). For {@code vigil.router.warmup.duration}, {@code
 * connections} requests at a time go through the router's own port — its routes, admission and
 * {@link ProxyHandler} — to a loopback target of its own: GETs, and POSTs whose bodies are held for
 * replay or streamed. They carry a random token only this process knows; a request with it goes to
 * the target, never to an instance, and is left out of the metrics and latency windows. Nothing of
 * it outlives the warm-up: the token is cleared and the target closed. A native image is compiled
 * ahead of time and skips it.
 */
@Singleton
public class Warmup {

  private static final Logger LOG = Logger.getLogger(Warmup.class);

  /** The header carrying the warm-up token. */
  public static final String HEADER = "Vigil-Warmup";

  private static final String PATH = "/openscale/warmup/v2/subscriptions";
  private static final Buffer ANSWER =
      Buffer.buffer("{\"subscriptions\":[],\"total_count\":0,\"warmup\":true}");
  private static final Buffer BODY =
      Buffer.buffer("[{\"fields\":[\"a\",\"b\"],\"values\":[[1,2]]}]");

  private final Vertx vertx;
  private final RouterConfig.Warmup config;
  private final AtomicBoolean begun = new AtomicBoolean();

  /** Requests answered, by kind: GET, POST, POST with an Idempotency-Key. */
  private final AtomicLong[] answered = {new AtomicLong(), new AtomicLong(), new AtomicLong()};

  private volatile String token;
  private volatile Backend target;
  private volatile boolean done;
  private volatile String outcome = "not started";

  private final Instance<ValueRegistry> registry;

  Warmup(Vertx vertx, RouterConfig config, Instance<ValueRegistry> registry) {
    this.vertx = vertx;
    this.registry = registry;
    this.config = config.warmup();
    if (this.config.duration().isZero() || ImageMode.current().isNativeImage()) {
      done = true;
      outcome = "off";
    }
  }

  /** Whether the warm-up is over (or off): the router may report ready. */
  public boolean done() {
    return done;
  }

  /** What the warm-up did, for the readiness check. */
  public String outcome() {
    return outcome;
  }

  /** The warm-up target when {@code request} carries the running warm-up's token, else null. */
  public Backend pinned(io.vertx.core.http.HttpServerRequest request) {
    String t = token;
    return t != null && t.equals(request.getHeader(HEADER)) ? target : null;
  }

  // Quarkus announces its listening servers with fireAsync
  void onHttp(@ObservesAsync HttpServerStart start) {
    begin(start.options(), false);
  }

  void onHttps(@ObservesAsync HttpsServerStart start) {
    begin(start.options(), true);
  }

  void onStop(@Observes ShutdownEvent event) {
    finish("stopped");
  }

  private void begin(HttpServerOptions server, boolean tls) {
    if (done || !begun.compareAndSet(false, true)) {
      return;
    }
    // the options hold 0 for a port the system chose; Quarkus registers the one it got
    int port = server.getPort();
    if (port <= 0 && registry.isResolvable()) {
      port =
          registry
              .get()
              .getOrDefault(
                  tls
                      ? io.quarkus.vertx.http.HttpServer.HTTPS_PORT
                      : io.quarkus.vertx.http.HttpServer.HTTP_PORT,
                  0);
    }
    if (port <= 0) {
      finish("skipped: the router's port is not known");
      return;
    }
    int routerPort = port;
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    HttpServer answering =
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
    answering
        .requestHandler(
            req ->
                req.body()
                    .onComplete(
                        body ->
                            req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(ANSWER)))
        .listen()
        .onFailure(f -> finish("skipped: no loopback target (" + f.getMessage() + ")"))
        .onSuccess(
            listening -> {
              target = new Backend("warmup", "warmup", "127.0.0.1", listening.actualPort());
              token = HexFormat.of().formatHex(random);
              load(routerPort, tls, listening);
            });
  }

  /** Keeps {@code connections} requests in flight through the router until the time is up. */
  private void load(int port, boolean tls, HttpServer answering) {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setDefaultHost("127.0.0.1")
                .setDefaultPort(port)
                .setSsl(tls)
                .setTrustAll(tls) // its own port over loopback: nothing to verify
                .setVerifyHost(false)
                .setKeepAlive(true)
                .setMaxPoolSize(config.connections()));
    long started = System.nanoTime();
    long until = started + config.duration().toNanos();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < config.connections(); lane++) {
      Promise<Void> finished = Promise.promise();
      next(client, lane, until, finished);
      lanes.add(finished.future());
    }
    Future.join(lanes)
        .onComplete(
            all -> {
              client.close();
              answering.close();
              String failure = all.failed() ? "; stopped early: " + all.cause().getMessage() : "";
              finish(
                  String.format(
                      "%d requests in %.1f s (GET %d, POST %d, POST with Idempotency-Key %d)%s",
                      answered[0].get() + answered[1].get() + answered[2].get(),
                      (System.nanoTime() - started) / 1e9,
                      answered[0].get(),
                      answered[1].get(),
                      answered[2].get(),
                      failure));
            });
  }

  /** Sends request {@code n} of a lane, then the lane's next one, until the time is up. */
  private void next(HttpClient client, long n, long until, Promise<Void> finished) {
    String t = token;
    if (System.nanoTime() >= until || done || t == null) {
      finished.tryComplete();
      return;
    }
    RequestOptions request = new RequestOptions().setURI(PATH).putHeader(HEADER, t);
    int kind = (int) (n % 4);
    request.setMethod(kind < 2 ? HttpMethod.GET : HttpMethod.POST);
    if (kind == 2) {
      request.putHeader("Idempotency-Key", "warmup-" + n); // held for replay
    }
    if (kind >= 2) {
      request.putHeader("Content-Type", "application/json");
    }
    client
        .request(request)
        .compose(req -> kind < 2 ? req.send() : req.send(BODY))
        .compose(
            resp ->
                resp.statusCode() == 200
                    ? resp.body()
                    : Future.failedFuture("the router answered " + resp.statusCode()))
        .onSuccess(
            body -> {
              answered[kind < 2 ? 0 : kind == 3 ? 1 : 2].incrementAndGet();
              next(client, n + config.connections(), until, finished);
            })
        .onFailure(finished::tryFail);
  }

  private synchronized void finish(String what) {
    if (done) {
      return;
    }
    token = null;
    outcome = what;
    done = true;
    LOG.infof("Warm-up of the forwarding path: %s", what);
  }
}
