package io.vigil.router;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vigil.process.Ports;
import io.vigil.testkit.EtcdResource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Monitoring-service stand-ins for router tests: one HTTP server per zone on loopback, registered
 * in etcd like real instances. Each answers readiness and echoes what it received (zone, path, body
 * length and SHA-256), and can be made to hang (accept, never answer), refuse readiness, reset the
 * next requests after reading them, or answer the next ones with 503.
 */
final class ZoneBackends implements AutoCloseable {

  enum Mode {
    SERVE,
    NOT_READY,
    HANG
  }

  /** What one backend received: zone, method, path, Idempotency-Key, body SHA-256. */
  record Received(String zone, String method, String path, String key, String sha) {}

  private final Vertx vertx = Vertx.vertx();
  private final List<String> endpoints;
  private final String region;
  private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private final Map<String, Mode> modes = new ConcurrentHashMap<>();
  final Queue<Received> received = new ConcurrentLinkedQueue<>();
  final AtomicInteger resetNext = new AtomicInteger();
  final AtomicInteger unavailableNext = new AtomicInteger();

  /** Time every backend takes to answer a write (a write waiting for its durability). */
  volatile long writeDelayMs;

  /** Server certificate of every backend; null: plain HTTP. */
  private final io.vigil.process.Certificates tls;

  private ZoneBackends(List<String> endpoints, String region, io.vigil.process.Certificates tls) {
    this.endpoints = endpoints;
    this.region = region;
    this.tls = tls;
  }

  /** Starts one backend per zone and registers each under the region's instance keys. */
  static ZoneBackends start(List<String> etcdEndpoints, String region, String... zones)
      throws Exception {
    return startWith(etcdEndpoints, region, null, zones);
  }

  /** Like {@link #start}, every backend serving HTTPS with {@code tls}'s certificate only. */
  static ZoneBackends startTls(
      List<String> etcdEndpoints, String region, io.vigil.process.Certificates tls, String... zones)
      throws Exception {
    return startWith(etcdEndpoints, region, tls, zones);
  }

  private static ZoneBackends startWith(
      List<String> etcdEndpoints, String region, io.vigil.process.Certificates tls, String... zones)
      throws Exception {
    ZoneBackends b = new ZoneBackends(etcdEndpoints, region, tls);
    for (String zone : zones) {
      b.startZone(zone);
    }
    return b;
  }

  int port(String zone) {
    return ports.get(zone);
  }

  void mode(String zone, Mode mode) {
    modes.put(zone, mode);
  }

  /** Closes the zone's server: connections are refused from now on. */
  void kill(String zone) throws Exception {
    servers.remove(zone).close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private void startZone(String zone) throws Exception {
    int port = Ports.free();
    modes.put(zone, Mode.SERVE);
    io.vertx.core.http.HttpServerOptions options = new io.vertx.core.http.HttpServerOptions();
    if (tls != null) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new io.vertx.core.net.PemKeyCertOptions()
                  .setCertPath(tls.cert().toString())
                  .setKeyPath(tls.key().toString()));
    }
    HttpServer server =
        vertx
            .createHttpServer(options)
            .requestHandler(req -> handle(zone, req))
            .listen(port, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    servers.put(zone, server);
    ports.put(zone, port);
    if (region == null) {
      return;
    }
    try (Client etcd = EtcdResource.client(endpoints, EtcdResource.current().root())) {
      etcd.getKVClient()
          .put(
              bytes(
                  "/vigil/regions/"
                      + region
                      + "/zones/"
                      + zone
                      + "/instances/monitoring-service/m-"
                      + zone),
              bytes(
                  "{\"url\":\""
                      + (tls == null ? "http" : "https")
                      + "://127.0.0.1:"
                      + port
                      + "\",\"service\":\"monitoring-service\",\"zone\":\""
                      + zone
                      + "\",\"region\":\""
                      + region
                      + "\",\"version\":\"t\",\"startedAt\":\"2026-01-01T00:00:00Z\"}"))
          .get(5, TimeUnit.SECONDS);
    }
  }

  private void handle(String zone, HttpServerRequest req) {
    Mode mode = modes.get(zone);
    if (mode == Mode.HANG) {
      return;
    }
    if (req.path().equals("/q/health/ready")) {
      req.response().setStatusCode(mode == Mode.SERVE ? 200 : 503).end();
      return;
    }
    req.body()
        .onSuccess(
            body -> {
              String sha = sha256(body.getBytes());
              received.add(
                  new Received(
                      zone,
                      req.method().name(),
                      req.path(),
                      req.getHeader("Idempotency-Key"),
                      sha));
              if (resetNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                req.connection().close();
                return;
              }
              if (unavailableNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                req.response().setStatusCode(503).putHeader("Retry-After", "1").end();
                return;
              }
              long delay = req.method().name().equals("GET") ? 0 : writeDelayMs;
              if (delay > 0) {
                vertx.setTimer(delay, t -> answer(zone, req, body.length(), sha));
              } else {
                answer(zone, req, body.length(), sha);
              }
            });
  }

  private void answer(String zone, HttpServerRequest req, int length, String sha) {
    req.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Instance", zone)
        .putHeader("Keep-Alive", "timeout=60")
        .end(
            "{\"zone\":\""
                + zone
                + "\",\"path\":\""
                + req.path()
                + "\",\"length\":"
                + length
                + ",\"sha\":\""
                + sha
                + "\",\"tls\":"
                + req.isSSL()
                + ",\"failover_from\":\""
                + req.getHeader("Vigil-Failover-From")
                + "\",\"host\":\""
                + req.getHeader("Host")
                + "\",\"end_to_end\":\""
                + req.getHeader("X-End")
                + "\",\"hop\":\""
                + req.getHeader("X-Hop")
                + "\",\"te\":\""
                + req.getHeader("TE")
                + "\"}");
  }

  @Override
  public void close() throws Exception {
    if (region != null) {
      try (Client etcd = EtcdResource.client(endpoints, EtcdResource.current().root())) {
        etcd.getKVClient()
            .delete(
                bytes("/vigil/regions/" + region + "/zones/"),
                DeleteOption.builder().isPrefix(true).build())
            .get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // etcd may be gone (a test stopped it); the backends still close below
      }
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
