package io.vigil.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vigil.process.WebhookReceiver.Answer;
import io.vigil.process.WebhookReceiver.Behaviour;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A model deployment on a free loopback port, the way a custom machine learning provider serves one
 * (the JDK's HTTP server): {@code POST /score} with {@code {"fields", "values"}} answers {@code
 * {"fields": [..., "probability", "prediction"], "values": [...]}} from a model function over each
 * row. It checks basic authentication, counts requests and rows, and answers what its {@link
 * Behaviour} says — the model's answer (200), an error status, or nothing for a while (a slow
 * deployment).
 */
public final class ScoringServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<String> labels;
  private final Function<Map<String, JsonNode>, double[]> model;
  private final String authorization;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger rowsScored = new AtomicInteger();
  private final List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Behaviour behaviour = n -> Answer.of(200);

  private ScoringServer(
      HttpServer server,
      List<String> labels,
      Function<Map<String, JsonNode>, double[]> model,
      String user,
      String password) {
    this.server = server;
    this.labels = labels;
    this.model = model;
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Starts a deployment whose {@code model} gives each row (field name to value) its class
   * probabilities, in the order of {@code labels}; requests must authenticate as {@code user}.
   */
  public static ScoringServer start(
      List<String> labels,
      Function<Map<String, JsonNode>, double[]> model,
      String user,
      String password)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ScoringServer s = new ScoringServer(server, labels, model, user, password);
    server.createContext("/score", s::handle);
    server.setExecutor(s.threads);
    server.start();
    return s;
  }

  /** The scoring URL. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/score";
  }

  /** Sets how the n-th request from now on (counted from the start) is answered. */
  public ScoringServer behave(Behaviour behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  /** Requests received so far (answered or not). */
  public int requests() {
    return requests.get();
  }

  /** Rows scored with a 200 answer so far. */
  public int rowsScored() {
    return rowsScored.get();
  }

  /** The number of rows of each request, in arrival order. */
  public List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      int n = requests.getAndIncrement();
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (!authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        send(exchange, 401, "{\"error\": \"unauthorized\"}");
        return;
      }
      Answer answer = behaviour.apply(n);
      if (!answer.hang().isZero()) {
        try {
          Thread.sleep(Math.min(answer.hang().toMillis(), 120_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      if (answer.status() != 200) {
        send(exchange, answer.status(), "{\"error\": \"the model is unavailable\"}");
        return;
      }
      JsonNode request = JSON.readTree(body);
      List<String> fields = new ArrayList<>();
      request.path("fields").forEach(f -> fields.add(f.asText()));
      ObjectNode out = JSON.createObjectNode();
      ArrayNode outFields = out.putArray("fields");
      fields.forEach(outFields::add);
      outFields.add("probability").add("prediction");
      ArrayNode values = out.putArray("values");
      for (JsonNode row : request.path("values")) {
        Map<String, JsonNode> named = new LinkedHashMap<>();
        for (int i = 0; i < fields.size(); i++) {
          named.put(fields.get(i), row.path(i));
        }
        double[] p = model.apply(named);
        ArrayNode outRow = values.addArray();
        row.forEach(outRow::add);
        ArrayNode probability = outRow.addArray();
        int best = 0;
        for (int k = 0; k < p.length; k++) {
          probability.add(p[k]);
          best = p[k] > p[best] ? k : best;
        }
        outRow.add(labels.get(best));
      }
      batchSizes.add(values.size());
      rowsScored.addAndGet(values.size());
      send(exchange, 200, out.toString());
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] out = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, out.length);
    try (OutputStream o = exchange.getResponseBody()) {
      o.write(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
