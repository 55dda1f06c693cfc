package io.vigil.process;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP receiver of Vigil's notifications on a free loopback port (the JDK's HTTP server): it
 * records every request (path, headers, body, time) and answers what its {@link Behaviour} says — a
 * status, or no answer for a while (a hung receiver). Tests and the zone-loss drill count what it
 * got, per {@code Vigil-Notification-Id}.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One request as received. */
  public record Received(
      String path, Map<String, String> headers, String body, Instant at, int answered) {

    /** A header by name (case-insensitive), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** What to answer the n-th request (from 0) to a path: a status, after an optional hang. */
  public record Answer(int status, Duration hang) {

    /** Answers {@code status} at once. */
    public static Answer of(int status) {
      return new Answer(status, Duration.ZERO);
    }

    /** Answers nothing for {@code hang} (bounded), then 200 if the client still waits. */
    public static Answer hang(Duration hang) {
      return new Answer(200, hang);
    }
  }

  /** Decides the answer from the request's position among those to the same path. */
  public interface Behaviour extends Function<Integer, Answer> {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Received> received = new ArrayList<>();
  private final Map<String, Behaviour> behaviours = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Integer> counts = new java.util.HashMap<>();

  private WebhookReceiver(HttpServer server) {
    this.server = server;
  }

  /** Starts a receiver on a free loopback port that answers 200 to everything. */
  public static WebhookReceiver start() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    WebhookReceiver r = new WebhookReceiver(server);
    server.createContext("/", r::handle);
    server.setExecutor(r.threads);
    server.start();
    return r;
  }

  /** The URL of a path on this receiver, e.g. {@code url("/hooks/a")}. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** Sets how a path answers. */
  public WebhookReceiver on(String path, Behaviour behaviour) {
    behaviours.put(path, behaviour);
    return this;
  }

  /** Every request so far, oldest first. */
  public synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** The requests to a path so far. */
  public synchronized List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** The distinct {@code Vigil-Notification-Id}s received with a 2xx answer. */
  public synchronized Set<String> acceptedIds() {
    Set<String> ids = new LinkedHashSet<>();
    received.stream()
        .filter(r -> r.answered() / 100 == 2)
        .forEach(r -> ids.add(r.header("Vigil-Notification-Id")));
    return ids;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      byte[] body = exchange.getRequestBody().readAllBytes();
      Map<String, String> headers = new TreeMap<>();
      exchange
          .getRequestHeaders()
          .forEach(
              (k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
      int n;
      synchronized (this) {
        n = counts.merge(path, 1, Integer::sum) - 1;
      }
      Answer answer = behaviours.getOrDefault(path, i -> Answer.of(200)).apply(n);
      if (!answer.hang().isZero()) {
        try {
          Thread.sleep(Math.min(answer.hang().toMillis(), 120_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      synchronized (this) {
        received.add(
            new Received(
                path,
                headers,
                new String(body, StandardCharsets.UTF_8),
                Instant.now(),
                answer.status()));
      }
      byte[] out = "{}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.status(), out.length);
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(out);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
