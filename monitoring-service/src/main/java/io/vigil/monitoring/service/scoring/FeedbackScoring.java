package io.vigil.monitoring.service.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.MonitorQueries;
import io.vigil.monitoring.repository.MonitorQueries.Unscored;
import io.vigil.monitoring.repository.RecordRepository;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.service.Credentials;
import io.vigil.monitoring.service.monitor.MonitorContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * OpenScale's way with label-only feedback (IBM's notebooks log features + label): before quality
 * reads its rows, the feedback rows with a label but no prediction, and no payload record with the
 * same transaction id, are scored through the subscription's deployment (custom machine learning) a
 * batch at a time, and the model's prediction and probability are stored with each row. Each batch
 * is stored by one statement, never over a prediction a client stored meanwhile, so a failure
 * leaves every row either whole or untouched, and the next run goes on from where this one stopped.
 * Only rows present when the run starts are scored: the loop is bounded.
 */
@ApplicationScoped
public class FeedbackScoring {

  private static final Logger LOG = Logger.getLogger(FeedbackScoring.class);

  /** Scoring failed part-way: how far it got and why. */
  public static final class Failed extends RuntimeException {
    Failed(String message) {
      super(message, null, false, false);
    }
  }

  private final Pool pool;
  private final MonitorQueries queries;
  private final RecordRepository records;
  private final ResourceRepository resources;
  private final Credentials credentials;
  private final DeploymentScorer scorer;
  private final io.vigil.monitoring.exporter.ModelMetrics metrics;
  private final int batchSize;

  FeedbackScoring(
      Pool pool,
      MonitorQueries queries,
      RecordRepository records,
      ResourceRepository resources,
      Credentials credentials,
      DeploymentScorer scorer,
      io.vigil.monitoring.exporter.ModelMetrics metrics,
      MonitoringConfig config) {
    this.pool = pool;
    this.queries = queries;
    this.records = records;
    this.resources = resources;
    this.credentials = credentials;
    this.scorer = scorer;
    this.metrics = metrics;
    this.batchSize = config.scoring().batchSize();
  }

  /** What one quality run scores: the rows and where the answers go. */
  private record Job(
      MonitorContext ctx,
      String feedback,
      String label,
      String prediction,
      String probability,
      String transactionId,
      List<Long> pending) {}

  /** Scores the feedback rows quality would otherwise miss; answers how many were scored. */
  public Uni<Integer> scorePending(MonitorContext ctx) {
    String feedback = ctx.dataSets().get("feedback");
    String label = ctx.prop("label_column", null);
    if (feedback == null || label == null) {
      return Uni.createFrom().item(0);
    }
    String prediction = ctx.prop("prediction_field", "prediction");
    String transactionId = ctx.prop("transaction_id_field", "scoring_id");
    return queries
        .lastSeq(feedback)
        .chain(
            last ->
                queries.unscored(
                    feedback,
                    ctx.dataSet("payload_logging"),
                    label,
                    prediction,
                    transactionId,
                    last))
        .chain(
            pending -> {
              if (pending.isEmpty()) {
                return done();
              }
              Job job =
                  new Job(
                      ctx,
                      feedback,
                      label,
                      prediction,
                      ctx.probabilityField(),
                      transactionId,
                      pending);
              return batch(job, 0).chain(first -> start(job, first));
            });
  }

  private static Uni<Integer> done() {
    return Uni.createFrom().item(0);
  }

  /** The rows of the batch that starts at position {@code from} of the pending ones. */
  private Uni<List<Unscored>> batch(Job job, int from) {
    List<Long> pending = job.pending();
    return queries.rowsAt(
        job.feedback(), pending.subList(from, Math.min(pending.size(), from + batchSize)));
  }

  private Uni<Integer> start(Job job, List<Unscored> first) {
    return endpoint(job.ctx())
        .chain(endpoint -> next(job, endpoint, first, 0, 0))
        .invoke(
            n ->
                LOG.infof(
                    "Scored %d feedback rows of data set %s through the deployment",
                    n, job.feedback()));
  }

  /** Scores the batch {@code rows} (pending from {@code from}), then the batches after it. */
  private Uni<Integer> next(
      Job job, DeploymentScorer.Endpoint endpoint, List<Unscored> rows, int from, int scoredSoFar) {
    if (rows.isEmpty()) {
      return Uni.createFrom().item(scoredSoFar);
    }
    int after = from + batchSize;
    return scoreAndStore(job, endpoint, rows)
        .onFailure(DeploymentScorer.Failed.class)
        .transform(
            f ->
                new Failed(
                    (scoredSoFar > 0
                            ? scoredSoFar + " feedback rows were scored and kept; then "
                            : "no feedback row could be scored: ")
                        + f.getMessage()))
        .chain(
            stored ->
                after >= job.pending().size()
                    ? Uni.createFrom().item(scoredSoFar + stored)
                    : batch(job, after)
                        .chain(more -> next(job, endpoint, more, after, scoredSoFar + stored)));
  }

  private Uni<Integer> scoreAndStore(
      Job job, DeploymentScorer.Endpoint endpoint, List<Unscored> rows) {
    List<ObjectNode> values = new ArrayList<>(rows.size());
    for (Unscored r : rows) {
      values.add(parse(r.values()));
    }
    List<String> fields = inputFields(job, values);
    ObjectNode request = Json.MAPPER.createObjectNode();
    ArrayNode f = request.putArray("fields");
    fields.forEach(f::add);
    ArrayNode v = request.putArray("values");
    for (ObjectNode row : values) {
      ArrayNode out = v.addArray();
      fields.forEach(name -> out.add(row.get(name)));
    }
    return scorer
        .score(endpoint, request)
        .onFailure()
        .invoke(failure -> metrics.scoring("failed", 0))
        .invoke(answer -> metrics.scoring("scored", rows.size()))
        .chain(
            answer -> {
              List<String> outputs = outputs(job, answer, rows.size());
              return records.addFields(
                  pool,
                  job.feedback(),
                  rows.stream().map(Unscored::recordId).toList(),
                  outputs,
                  job.prediction());
            });
  }

  /** The model's input: the declared feature fields, else every field but label and outputs. */
  private static List<String> inputFields(Job job, List<ObjectNode> rows) {
    List<String> declared = job.ctx().propList("feature_fields");
    if (!declared.isEmpty()) {
      return declared;
    }
    Set<String> names = new LinkedHashSet<>();
    rows.forEach(r -> r.fieldNames().forEachRemaining(names::add));
    names.removeAll(List.of(job.label(), job.prediction(), job.probability(), job.transactionId()));
    return new ArrayList<>(names);
  }

  /** Per row, the fields to add: prediction, and probability when the model gives one. */
  private static List<String> outputs(Job job, JsonNode answer, int expected) {
    JsonNode block =
        answer.path("predictions").isArray() ? answer.path("predictions").path(0) : answer;
    List<String> fields = new ArrayList<>();
    block.path("fields").forEach(n -> fields.add(n.asText()));
    int p = fields.indexOf(job.prediction());
    int q = fields.indexOf(job.probability());
    JsonNode values = block.path("values");
    if (p < 0 || !values.isArray()) {
      throw new DeploymentScorer.Failed(
          "the deployment's answer has no '"
              + job.prediction()
              + "' among its fields "
              + fields
              + " (asset_properties.prediction_field); it answered "
              + excerpt(answer));
    }
    if (values.size() != expected) {
      throw new DeploymentScorer.Failed(
          "the deployment answered " + values.size() + " rows for " + expected + " sent");
    }
    List<String> out = new ArrayList<>(expected);
    for (JsonNode row : values) {
      ObjectNode add = Json.MAPPER.createObjectNode();
      add.set(job.prediction(), row.path(p));
      if (q >= 0 && row.has(q)) {
        add.set(job.probability(), row.get(q));
      }
      out.add(add.toString());
    }
    return out;
  }

  /**
   * The subscription's scoring endpoint: {@code deployment.scoring_endpoint.url} (else {@code
   * deployment.url}), its credentials (else the service provider's: a user and password become
   * basic authentication, a token a bearer), and the request headers of both.
   */
  private Uni<DeploymentScorer.Endpoint> endpoint(MonitorContext ctx) {
    JsonNode subscription = ctx.subscription();
    String providerId = subscription.path("service_provider_id").asText();
    return resources
        .get(ctx.tenant(), ResourceKind.SERVICE_PROVIDERS, providerId)
        .chain(
            provider -> {
              if (provider == null) {
                throw new Failed("the subscription's service provider " + providerId + " is gone");
              }
              String type = provider.entity().path("service_type").asText();
              if (!type.equals("custom_machine_learning")) {
                throw new Failed(
                    "feedback rows without a prediction (and no payload record with their"
                        + " transaction id) are scored through the deployment; Vigil scores"
                        + " custom_machine_learning deployments, this provider is '"
                        + type
                        + "'. Store feedback with the prediction, or the payload first.");
              }
              JsonNode scoring = subscription.path("deployment").path("scoring_endpoint");
              String url =
                  scoring
                      .path("url")
                      .asText(subscription.path("deployment").path("url").asText(""));
              if (url.isEmpty()) {
                throw new Failed(
                    "feedback rows need scoring, and the subscription's deployment has no"
                        + " scoring_endpoint.url");
              }
              Map<String, String> headers = new LinkedHashMap<>();
              provider
                  .entity()
                  .path("request_headers")
                  .fields()
                  .forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
              scoring
                  .path("request_headers")
                  .fields()
                  .forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
              JsonNode secret =
                  scoring.path("credentials").path("secret_id").isTextual()
                      ? scoring.path("credentials").path("secret_id")
                      : provider.entity().path("credentials").path("secret_id");
              if (!secret.isTextual()) {
                return Uni.createFrom().item(new DeploymentScorer.Endpoint(url, headers));
              }
              return credentials
                  .reveal(ctx.tenant(), secret.asText())
                  .map(
                      creds -> {
                        authorization(creds).ifPresent(a -> headers.put("Authorization", a));
                        return new DeploymentScorer.Endpoint(url, headers);
                      });
            });
  }

  private static java.util.Optional<String> authorization(ObjectNode creds) {
    if (creds.path("username").isTextual() && creds.path("password").isTextual()) {
      String pair = creds.get("username").asText() + ":" + creds.get("password").asText();
      return java.util.Optional.of(
          "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
    if (creds.path("token").isTextual()) {
      return java.util.Optional.of("Bearer " + creds.get("token").asText());
    }
    return java.util.Optional.empty();
  }

  private static String excerpt(JsonNode answer) {
    String text = answer.toString();
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }

  private static ObjectNode parse(String json) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
