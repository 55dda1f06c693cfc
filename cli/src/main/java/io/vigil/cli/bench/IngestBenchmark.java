package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.region.MonitoringApi;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Ports;
import io.vigil.process.PostgresServer;
import io.vigil.process.QuarkusService;
import io.vigil.process.Readiness;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;

/**
 * Payload ingest through the monitoring API (batches of 100 and 1000, a few concurrent clients)
 * against a raw {@code COPY} of the same rows into the same table of the same PostgreSQL, in one
 * run; then monitor runs (quality, fairness, drift_v2) over a large data set, timed from queued to
 * finished.
 *
 * <p>The floor of the runs is PostgreSQL reading the rows they need once, timed in the same run on
 * the same data; the last line: {@code monitor-runs: vigil=<s> floor=<s> ratio=<x>; ingest100=<% of
 * COPY> ingest1000=<% of COPY>}.
 *
 * <p>Over 300 lines on purpose: a benchmark is one scenario read top to bottom (load, measure
 * Vigil, the peer and the floor, print the table and the last line).
 */
public final class IngestBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private IngestBenchmark() {}

  /** Runs the benchmark and prints Markdown tables. */
  public static void run(Path stateDir, int records, int runRecords, PrintStream out)
      throws Exception {
    Workspace ws =
        Workspace.scratch(stateDir.resolve("bench-data"), stateDir.resolve("bench-logs"));
    String operator = "op-" + UUID.randomUUID();
    try (PostgresServer pg = PostgresServer.start(ws, "bench-postgres")) {
      int port = Ports.free();
      ManagedProcess service =
          QuarkusService.start(
                  ws,
                  "bench-monitoring",
                  "monitoring-service",
                  port,
                  Map.of(
                      "quarkus.datasource.reactive.url", pg.reactiveUrl(),
                      "quarkus.datasource.jdbc.url", pg.jdbcUrl(PostgresServer.DATABASE),
                      "quarkus.datasource.username", PostgresServer.USER,
                      "quarkus.datasource.password", pg.password(),
                      "vigil.security.operator-key", operator),
                  QuarkusService.Aot.AUTO)
              .process();
      try {
        String base = "http://127.0.0.1:" + port;
        JsonNode tenant =
            post(base + "/admin/v1/service_instances", "{\"name\":\"bench\"}", operator);
        MonitoringApi api =
            new MonitoringApi(
                base + "/openscale/" + tenant.path("id").asText() + "/v2",
                tenant.path("api_key").asText());
        String subscription = api.subscription();

        out.printf(
            "Payload ingest: %,d records per variant after an unmeasured warm-up of each,"
                + " 4 concurrent clients (PostgreSQL 15, 2 cores)%n%n",
            records);
        out.println("| method | batch | records/s | vs raw COPY |");
        out.println("|---|---:|---:|---:|");
        // warm-up, not measured: the service's JIT and the benchmark's own HTTP and JDBC paths
        copy(pg, api, subscription, Math.max(1000, records / 10));
        for (int batch : new int[] {100, 1000}) {
          ingest(
              api,
              api.dataSet(api.subscription(), "payload_logging"),
              Math.max(1000, records / 10),
              batch,
              4,
              "warm" + batch + "-");
        }
        double copy = copy(pg, api, subscription, records);
        Map<Integer, Double> ofCopy = new java.util.TreeMap<>();
        for (int batch : new int[] {100, 1000}) {
          double rate =
              ingest(
                  api,
                  api.dataSet(subscription, "payload_logging"),
                  records,
                  batch,
                  4,
                  "b" + batch + "-");
          ofCopy.put(batch, 100 * rate / copy);
          out.printf(
              "| API `POST records` | %d | %,.0f | %.0f%% |%n", batch, rate, 100 * rate / copy);
        }
        out.printf(
            "| raw `COPY` into `records` and `record_keys` | all | %,.0f | 100%% |%n%n", copy);

        String fresh = api.subscription();
        String payloadSet = api.dataSet(fresh, "payload_logging");
        String feedbackSet = api.dataSet(fresh, "feedback");
        long t0 = System.nanoTime();
        copyRows(pg, tenant.path("id").asText(), payloadSet, runRecords, "p-", true);
        copyRows(pg, tenant.path("id").asText(), feedbackSet, runRecords, "f-", false);
        out.printf(
            "Monitor runs over %,d payload and %,d feedback records (loaded with COPY in %.1f s)%n%n",
            runRecords, runRecords, (System.nanoTime() - t0) / 1e9);
        out.println("| monitor | queued → finished | state |");
        out.println("|---|---:|---|");
        String target = "{\"target_type\":\"subscription\",\"target_id\":\"" + fresh + "\"}";
        Map<String, String> monitors =
            Map.of(
                "quality", "{\"min_feedback_data_size\": 50}",
                "fairness",
                    "{\"features\":[{\"feature\":\"Sex\",\"majority\":[\"male\"],\"minority\":[\"female\"],\"threshold\":0.95}],\"favourable_class\":[\"No Risk\"],\"min_records\":"
                        + runRecords
                        + "}",
                "drift_v2", "{\"min_samples\": 100, \"max_samples\": " + runRecords + "}");
        double total = 0;
        for (String definition : List.of("quality", "fairness", "drift_v2")) {
          JsonNode mi =
              api.post(
                  "/monitor_instances",
                  "{\"data_mart_id\":\""
                      + tenant.path("id").asText()
                      + "\",\"monitor_definition_id\":\""
                      + definition
                      + "\",\"target\":"
                      + target
                      + ",\"parameters\":"
                      + monitors.get(definition)
                      + "}");
          String instance = mi.path("metadata").path("id").asText();
          long start = System.nanoTime();
          String run =
              api.post("/monitor_instances/" + instance + "/runs", "{}")
                  .path("metadata")
                  .path("id")
                  .asText();
          String[] state = new String[1];
          Readiness.await(
              definition + " run",
              Duration.ofMinutes(10),
              () -> {
                try {
                  state[0] =
                      api.get("/monitor_instances/" + instance + "/runs/" + run)
                          .path("entity")
                          .path("status")
                          .path("state")
                          .asText();
                } catch (IOException e) {
                  return false;
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return false;
                }
                return state[0].equals("finished") || state[0].equals("error");
              });
          double seconds = (System.nanoTime() - start) / 1e9;
          total += seconds;
          out.printf("| %s | %.1f s | %s |%n", definition, seconds, state[0]);
        }
        out.printf("| all three | %.1f s | |%n", total);
        double floor = floor(pg, payloadSet, feedbackSet, out);
        out.println();
        out.printf(
            "monitor-runs: vigil=%.1f floor=%.1f ratio=%.2f; ingest100=%.0f%% ingest1000=%.0f%%%n",
            total, floor, total / floor, ofCopy.get(100), ofCopy.get(1000));
      } finally {
        service.stop(Duration.ofSeconds(20));
      }
    } finally {
      Workspace.deleteTree(stateDir.resolve("bench-data"));
    }
  }

  /**
   * The floor: PostgreSQL reading, once each, the rows the three runs need and aggregating them in
   * the server — quality's feedback joined to the payload, fairness' prediction and feature, and
   * one pass over the payload's prediction, probabilities and features for drift. Timed after the
   * runs (their statistics and hint bits are in place: the floor is the cheaper for it).
   */
  private static double floor(
      PostgresServer pg, String payloadSet, String feedbackSet, PrintStream out) throws Exception {
    Map<String, String> passes = new java.util.LinkedHashMap<>();
    passes.put(
        "quality",
        "SELECT count(f.row_values->'Risk'),"
            + " count(coalesce(f.row_values->'prediction', p.row_values->'prediction')),"
            + " count(coalesce(f.row_values->'probability', p.row_values->'probability'))"
            + " FROM records f LEFT JOIN records p ON p.data_set_id = ?"
            + " AND p.record_id = f.row_values->>'scoring_id'"
            + " WHERE f.data_set_id = ? AND f.row_values ?? 'Risk'");
    passes.put(
        "fairness",
        "SELECT row_values->'prediction', row_values->'Sex', count(*) FROM records"
            + " WHERE data_set_id = ? GROUP BY 1, 2");
    passes.put(
        "drift_v2",
        "SELECT count(row_values->'prediction'), max(jsonb_array_length(row_values->'probability')),"
            + " count(row_values->'Age'), count(row_values->'Sex'), count(row_values->'LoanAmount')"
            + " FROM records WHERE data_set_id = ?");
    double total = 0;
    try (Connection c = pg.connect(PostgresServer.DATABASE)) {
      for (var pass : passes.entrySet()) {
        try (var statement = c.prepareStatement(pass.getValue())) {
          if (pass.getKey().equals("quality")) {
            statement.setString(1, payloadSet);
            statement.setString(2, feedbackSet);
          } else {
            statement.setString(1, payloadSet);
          }
          long t0 = System.nanoTime();
          try (var rows = statement.executeQuery()) {
            while (rows.next()) {
              rows.getObject(1);
            }
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          total += seconds;
          out.printf(
              "| floor: PostgreSQL reads %s's rows once | %.1f s | |%n", pass.getKey(), seconds);
        }
      }
    }
    out.printf("| floor: all three | %.1f s | |%n", total);
    return total;
  }

  private static double copy(PostgresServer pg, MonitoringApi api, String subscription, int records)
      throws Exception {
    // the same rows the API stores, into a data set of their own
    String dataSet = api.dataSet(api.subscription(), "payload_logging");
    long t0 = System.nanoTime();
    copyRows(pg, api.tenant(), dataSet, records, "c-", true);
    return records / ((System.nanoTime() - t0) / 1e9);
  }

  /**
   * Loads rows with {@code COPY}, as PostgreSQL's own fastest path would store what the API stores:
   * the rows into {@code records} (today's partition, which the service's lifecycle makes at start)
   * and their keys into {@code record_keys}.
   */
  static void copyRows(
      PostgresServer pg, String tenant, String dataSet, int n, String prefix, boolean payload)
      throws Exception {
    String ts = today();
    try (Connection c = pg.connect(PostgresServer.DATABASE)) {
      awaitTodaysPartition(c);
      StringBuilder csv = new StringBuilder();
      StringBuilder keys = new StringBuilder();
      var copy = c.unwrap(PGConnection.class).getCopyAPI();
      int chunk = 50_000;
      for (int start = 0; start < n; start += chunk) {
        csv.setLength(0);
        keys.setLength(0);
        int rows = Math.min(n, start + chunk) - start;
        long seq = reserveSeq(c, rows);
        for (int i = start; i < start + rows; i++, seq++) {
          String values = payload ? payloadValues(i, prefix) : feedbackValues(i);
          csv.append(dataSet)
              .append(',')
              .append(prefix)
              .append(i)
              .append(',')
              .append(tenant)
              .append(',')
              .append(ts)
              .append(",\"")
              .append(values.replace("\"", "\"\""))
              .append("\",copy,")
              .append(seq)
              .append('\n');
          keys.append(dataSet)
              .append(',')
              .append(prefix)
              .append(i)
              .append(',')
              .append(ts)
              .append(',')
              .append(seq)
              .append('\n');
        }
        copy.copyIn(
            "COPY record_keys (data_set_id, record_id, ts, seq) FROM STDIN (FORMAT csv)",
            new StringReader(keys.toString()));
        copy.copyIn(
            "COPY records (data_set_id, record_id, service_instance_id, ts, row_values, request_id, seq) FROM STDIN (FORMAT csv)",
            new StringReader(csv.toString()));
      }
    }
  }

  /** Takes {@code n} values of the records' sequence at once; answers the first. */
  private static long reserveSeq(Connection c, int n) throws Exception {
    try (var s =
        c.prepareStatement(
            "SELECT setval('records_seq_seq', nextval('records_seq_seq') + ? - 1) - ? + 1")) {
      s.setInt(1, n);
      s.setInt(2, n);
      var r = s.executeQuery();
      r.next();
      return r.getLong(1);
    }
  }

  /** The time every benchmark record carries: today's midnight, UTC (today's partition). */
  private static String today() {
    return java.time.LocalDate.now(java.time.ZoneOffset.UTC) + "T00:00:00Z";
  }

  private static void awaitTodaysPartition(Connection c) throws Exception {
    String name =
        "records_"
            + java.time.format.DateTimeFormatter.BASIC_ISO_DATE.format(
                java.time.LocalDate.now(java.time.ZoneOffset.UTC));
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try (var s = c.prepareStatement("SELECT 1 FROM pg_class WHERE relname = ?")) {
        s.setString(1, name);
        if (s.executeQuery().next()) {
          return;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the service did not create " + name + " within 60 s");
      }
      Thread.sleep(200);
    }
  }

  /**
   * The model's probability of "Risk": continuous, as a real model's is (no two records of a
   * million share one), on the side of 0.5 its prediction is.
   */
  static double score(int i) {
    double spread = (i % 999_983) / 2_499_957.5; // [0, 0.4)
    return prediction(i).equals("Risk") ? 0.55 + spread : 0.05 + spread;
  }

  static String sex(int i) {
    return i % 2 == 0 ? "female" : "male";
  }

  static String prediction(int i) {
    return (sex(i).equals("female") ? i % 4 == 0 : i % 4 != 0) ? "No Risk" : "Risk";
  }

  static String payloadValues(int i, String prefix) {
    double p = score(i);
    return "{\"Age\":"
        + (20 + i % 50)
        + ",\"Sex\":\""
        + sex(i)
        + "\",\"LoanAmount\":"
        + (1000 + i % 5000)
        + ",\"probability\":["
        + (1 - p)
        + ","
        + p
        + "],\"prediction\":\""
        + prediction(i)
        + "\",\"scoring_id\":\"p-"
        + i
        + "\"}";
  }

  static String feedbackValues(int i) {
    String label = i % 5 == 0 ? (prediction(i).equals("Risk") ? "No Risk" : "Risk") : prediction(i);
    return "{\"scoring_id\":\"p-"
        + i
        + "\",\"Age\":"
        + (20 + i % 50)
        + ",\"Sex\":\""
        + sex(i)
        + "\",\"Risk\":\""
        + label
        + "\"}";
  }

  /** Stores {@code records} payload records in batches from {@code clients} threads; records/s. */
  private static double ingest(
      MonitoringApi api, String dataSet, int records, int batch, int clients, String prefix)
      throws Exception {
    String base = api.base();
    String key = api.key();
    List<String> bodies = new ArrayList<>();
    for (int start = 0; start < records; start += batch) {
      StringBuilder b = new StringBuilder("[");
      for (int i = start; i < Math.min(records, start + batch); i++) {
        double p = score(i);
        b.append(i == start ? "" : ",")
            .append("{\"scoring_id\":\"")
            .append(prefix)
            .append(i)
            .append("\",\"scoring_timestamp\":\"")
            .append(today())
            .append("\",")
            .append("\"request\":{\"fields\":[\"Age\",\"Sex\",\"LoanAmount\"],\"values\":[[")
            .append(20 + i % 50)
            .append(",\"")
            .append(sex(i))
            .append("\",")
            .append(1000 + i % 5000)
            .append("]]},")
            .append("\"response\":{\"fields\":[\"probability\",\"prediction\"],\"values\":[[[")
            .append(1 - p)
            .append(',')
            .append(p)
            .append("],\"")
            .append(prediction(i))
            .append("\"]]}}");
      }
      bodies.add(b.append(']').toString());
    }
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long t0 = System.nanoTime();
    List<Future<?>> done = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      done.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement();
                    i < bodies.size();
                    i = next.getAndIncrement()) {
                  HttpResponse<String> r =
                      HTTP.send(
                          HttpRequest.newBuilder(
                                  URI.create(base + "/data_sets/" + dataSet + "/records"))
                              .header("Authorization", "Bearer " + key)
                              .header("Content-Type", "application/json")
                              .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i)))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() != 202) {
                    throw new IllegalStateException(
                        "store answered " + r.statusCode() + ": " + r.body());
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    return records / seconds;
  }

  static JsonNode post(String url, String body, String key)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }
}
