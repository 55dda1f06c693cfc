package io.vigil.monitoring.service.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.service.OutboundPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.util.TypeLiteral;
import java.io.IOException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Calls a model deployment's scoring endpoint: {@code POST {"fields", "values"}}, answered with
 * {@code {"fields", "values"}} (custom machine learning; a WML-style {@code {"predictions": [...]}}
 * is read too). The URL must pass the {@link OutboundPolicy}, resolved again before every request
 * and connected to the address that was checked. Per endpoint (host and port) a SmallRye Fault
 * Tolerance guard cuts each request at {@code timeout}, retries a 5xx, 408, 429, lost connection or
 * attempt over its time twice, and opens a circuit breaker after repeated failures, so a deployment
 * that is down fails a run at once instead of holding it.
 */
@ApplicationScoped
public class DeploymentScorer {

  private static final TypeLiteral<Uni<JsonNode>> UNI_JSON = new TypeLiteral<>() {};

  /** Where a deployment is scored and the headers each request carries (auth included). */
  public record Endpoint(String url, Map<String, String> headers) {}

  /** Scoring failed: the message says why, for the run's failure. */
  public static final class Failed extends RuntimeException {
    Failed(String message) {
      super(message, null, false, false);
    }
  }

  /** An answer a later attempt may change: 5xx, 408, 429, or no answer. */
  static final class Retryable extends RuntimeException {
    Retryable(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final MonitoringConfig.Scoring config;
  private final OutboundPolicy policy;
  private final Map<String, TypedGuard<Uni<JsonNode>>> guards = new ConcurrentHashMap<>();
  private volatile HttpClient client;

  DeploymentScorer(Vertx vertx, MonitoringConfig config, OutboundPolicy policy) {
    this.vertx = vertx;
    this.config = config.scoring();
    this.policy = policy;
  }

  void onStop(@Observes ShutdownEvent event) {
    if (client != null) {
      client.close();
    }
  }

  /** Scores rows; answers the deployment's {@code {"fields", "values"}}. */
  public Uni<JsonNode> score(Endpoint endpoint, JsonNode body) {
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(body);
    } catch (IOException e) {
      return Uni.createFrom().failure(e);
    }
    return policy
        .checkOffLoop("deployment.scoring_endpoint.url", endpoint.url())
        .onFailure()
        .transform(refused -> new Failed(refused.getMessage()))
        .chain(
            target -> {
              RequestOptions request =
                  target
                      .post(config.timeout())
                      .putHeader("Content-Type", "application/json")
                      .putHeader("Accept", "application/json")
                      .putHeader("User-Agent", "Vigil-Scoring/1");
              endpoint.headers().forEach(request::putHeader);
              TypedGuard<Uni<JsonNode>> guard =
                  guards.computeIfAbsent(target.receiver(), this::guard);
              try {
                return guard.call(() -> once(request, bytes));
              } catch (Exception e) {
                return Uni.createFrom().failure(e);
              }
            })
        .onFailure(f -> !(f instanceof Failed))
        .transform(f -> new Failed(describe(endpoint.url(), f)));
  }

  private Uni<JsonNode> once(RequestOptions request, byte[] body) {
    return Uni.createFrom()
        .completionStage(
            () ->
                client()
                    .request(request)
                    .compose(req -> req.send(Buffer.buffer(body)))
                    .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
                    .toCompletionStage())
        .onFailure(f -> !(f instanceof Failed) && !(f instanceof Retryable))
        .transform(f -> new Retryable(f.getClass().getSimpleName() + ": " + f.getMessage()))
        .map(DeploymentScorer::parse);
  }

  private record Answer(int status, Buffer body) {}

  private static JsonNode parse(Answer a) {
    if (a.status() >= 500 || a.status() == 408 || a.status() == 429) {
      throw new Retryable("the deployment answered " + a.status());
    }
    if (a.status() < 200 || a.status() >= 300) {
      throw new Failed("the deployment answered " + a.status() + ": " + excerpt(a.body()));
    }
    try {
      return Json.MAPPER.readTree(a.body().getBytes());
    } catch (IOException e) {
      throw new Failed("the deployment's answer is not JSON: " + excerpt(a.body()));
    }
  }

  private static String excerpt(Buffer body) {
    String s = body.toString();
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  private static String describe(String url, Throwable f) {
    String why =
        f instanceof CircuitBreakerOpenException
            ? "its circuit breaker is open after repeated failures"
            : f instanceof TimeoutException
                ? "no answer within the scoring timeout"
                : f.getMessage() == null ? f.getClass().getSimpleName() : f.getMessage();
    return "scoring through " + url + " failed: " + why;
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) {
          int timeoutMs = (int) config.timeout().toMillis();
          client =
              vertx.createHttpClient(
                  new HttpClientOptions()
                      .setConnectTimeout(timeoutMs)
                      .setIdleTimeout(timeoutMs)
                      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                      .setKeepAlive(true)
                      .setVerifyHost(true)
                      .setMaxPoolSize(config.maxConcurrent()));
        }
        c = client;
      }
    }
    return c;
  }

  private TypedGuard<Uni<JsonNode>> guard(String endpoint) {
    return TypedGuard.create(UNI_JSON)
        .withDescription("scoring at " + endpoint)
        .withTimeout()
        .duration(config.timeout().toMillis() + 500, ChronoUnit.MILLIS)
        .done()
        .withRetry()
        .maxRetries(2)
        .delay(200, ChronoUnit.MILLIS)
        .retryOn(List.of(Retryable.class, TimeoutException.class))
        .withExponentialBackoff()
        .factor(2)
        .done()
        .done()
        .withCircuitBreaker()
        .requestVolumeThreshold(4)
        .failureRatio(0.75)
        .delay(config.breakerDelay().toMillis(), ChronoUnit.MILLIS)
        .successThreshold(1)
        .when(f -> f instanceof Retryable || f instanceof TimeoutException)
        .done()
        .build();
  }
}
