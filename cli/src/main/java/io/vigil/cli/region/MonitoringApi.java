package io.vigil.cli.region;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A client of one tenant's monitoring API ({@code base} = {@code .../openscale/{id}/v2}) for the
 * benchmarks and drills: sets up a credit-risk subscription and finds its data sets.
 *
 * @param base the v2 base URL
 * @param key the tenant's API key
 */
public record MonitoringApi(String base, String key) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** The tenant (service instance) id. */
  public String tenant() {
    return base.replaceAll(".*/openscale/([^/]+)/v2", "$1");
  }

  /** Creates the data mart (once), a service provider and a credit-risk subscription. */
  public String subscription() throws IOException, InterruptedException {
    HttpResponse<String> mart = send("POST", "/data_marts", "{\"name\":\"bench\"}");
    if (mart.statusCode() != 201 && mart.statusCode() != 409) {
      throw new IllegalStateException("data mart: " + mart.body());
    }
    String provider =
        post("/service_providers", "{\"name\":\"p\",\"service_type\":\"custom_machine_learning\"}")
            .path("metadata")
            .path("id")
            .asText();
    return post(
            "/subscriptions",
            "{\"data_mart_id\":\""
                + tenant()
                + "\",\"service_provider_id\":\""
                + provider
                + "\",\"asset\":{\"asset_id\":\"credit\",\"problem_type\":\"binary\"},"
                + "\"deployment\":{\"deployment_id\":\"d\"},\"asset_properties\":{\"label_column\":\"Risk\",\"prediction_field\":\"prediction\","
                + "\"probability_fields\":[\"probability\"],\"feature_fields\":[\"Age\",\"Sex\",\"LoanAmount\"],\"categorical_fields\":[\"Sex\"],\"labels\":[\"No Risk\",\"Risk\"]}}")
        .path("metadata")
        .path("id")
        .asText();
  }

  /**
   * Fairness parameters of the credit model: loans ("No Risk") to women against men, 20 records.
   */
  public static final String FAIRNESS_BY_SEX =
      "\"parameters\":{\"min_records\":20,\"favourable_class\":[\"No Risk\"],"
          + "\"unfavourable_class\":[\"Risk\"],\"features\":[{\"feature\":\"Sex\","
          + "\"majority\":[\"male\"],\"minority\":[\"female\"]}]}";

  /**
   * Stores 20 payload records of the credit model on a subscription, oldest first: 10 women, the
   * first {@code womenFavourable} of whom get a loan, then 10 men who all do.
   */
  public void storeSkewedPayload(String subscription, int womenFavourable)
      throws IOException, InterruptedException {
    StringBuilder rows = new StringBuilder("[");
    for (int i = 0; i < 20; i++) {
      boolean female = i < 10;
      boolean favourable = !female || i < womenFavourable;
      rows.append(i == 0 ? "" : ",")
          .append("{\"scoring_id\":\"")
          .append(java.util.UUID.randomUUID())
          .append("\",\"request\":{\"fields\":[\"Age\",\"Sex\",\"LoanAmount\"],\"values\":[[")
          .append(30 + i)
          .append(female ? ",\"female\"," : ",\"male\",")
          .append(1000 + i)
          .append("]]},\"response\":{\"fields\":[\"probability\",\"prediction\"],\"values\":[[")
          .append(favourable ? "[0.9,0.1],\"No Risk\"" : "[0.1,0.9],\"Risk\"")
          .append("]]}}");
    }
    post("/data_sets/" + dataSet(subscription, "payload_logging") + "/records", rows + "]");
  }

  /**
   * Creates a monitor instance of {@code definition} on a subscription; {@code fields} are more
   * entity fields as JSON members ({@code "parameters": {...}}, ...), or empty. Answers its id.
   */
  public String monitor(String subscription, String definition, String fields)
      throws IOException, InterruptedException {
    return post(
            "/monitor_instances",
            "{\"data_mart_id\":\""
                + tenant()
                + "\",\"monitor_definition_id\":\""
                + definition
                + "\",\"target\":{\"target_type\":\"subscription\",\"target_id\":\""
                + subscription
                + "\"}"
                + (fields.isEmpty() ? "" : "," + fields)
                + "}")
        .path("metadata")
        .path("id")
        .asText();
  }

  /** The subscription's data set of a type ({@code payload_logging}, {@code feedback}, ...). */
  public String dataSet(String subscription, String type) throws IOException, InterruptedException {
    return get("/data_sets?target.target_id=" + subscription + "&type=" + type)
        .path("data_sets")
        .path(0)
        .path("metadata")
        .path("id")
        .asText();
  }

  /** POSTs JSON; fails unless the answer is 2xx. */
  public JsonNode post(String path, String body) throws IOException, InterruptedException {
    return json(path, send("POST", path, body));
  }

  /** GETs JSON; fails unless the answer is 2xx. */
  public JsonNode get(String path) throws IOException, InterruptedException {
    return json(path, send("GET", path, null));
  }

  /**
   * GETs JSON as a patient client does: a 503 with {@code Retry-After} is tried again after the
   * time it names (1–5 s) until {@code patience} has passed, each refusal counted in {@code
   * refusals}; then fails unless the answer is 2xx.
   */
  public JsonNode getPatiently(
      String path, Duration patience, java.util.concurrent.atomic.AtomicInteger refusals)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      HttpResponse<String> r = send("GET", path, null);
      java.util.Optional<String> retryAfter = r.headers().firstValue("Retry-After");
      if (r.statusCode() != 503 || retryAfter.isEmpty() || System.nanoTime() >= deadline) {
        return json(path, r);
      }
      refusals.incrementAndGet();
      Thread.sleep(Duration.ofSeconds(retryAfterSeconds(retryAfter.get())).toMillis());
    }
  }

  /** A {@code Retry-After} in seconds, between 1 and 5 (a date or junk: 1). */
  private static long retryAfterSeconds(String value) {
    try {
      return Math.min(5, Math.max(1, Long.parseLong(value.trim())));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private JsonNode json(String path, HttpResponse<String> r) throws IOException {
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(
          base + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** Sends a request (body null = none) with the API key and answers whatever comes back. */
  public HttpResponse<String> send(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
