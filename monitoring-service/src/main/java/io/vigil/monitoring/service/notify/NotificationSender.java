package io.vigil.monitoring.service.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.InstanceRegistrar;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.exporter.ModelMetrics;
import io.vigil.monitoring.health.SchemaMigrator;
import io.vigil.monitoring.repository.NotificationRepository;
import io.vigil.monitoring.repository.NotificationRepository.Notification;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.service.Credentials;
import io.vigil.monitoring.service.OutboundPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.util.TypeLiteral;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.jboss.logging.Logger;

/**
 * Delivers the outbox: any instance claims due notifications for a lease, sends each to its
 * integrated system, and records the answer. Per receiver (host and port) a SmallRye Fault
 * Tolerance guard bounds the requests in flight, cuts each at {@code timeout} and retries a blip
 * twice within the lease; what still fails is scheduled again in PostgreSQL with exponential
 * backoff (so a zone that dies loses nothing: its lease expires and another instance sends the same
 * id) until {@code retry-for} has passed, then it is failed. A receiver's 4xx (other than 408 and
 * 429) fails it at once: it will not be accepted later either.
 */
@ApplicationScoped
public class NotificationSender {

  private static final Logger LOG = Logger.getLogger(NotificationSender.class);
  private static final int BLIP_RETRIES = 2;
  private static final Duration BLIP_DELAY = Duration.ofMillis(250);
  private static final TypeLiteral<Uni<Integer>> UNI_INT = new TypeLiteral<>() {};

  /** A receiver's answer that a later attempt may change: 5xx, 408, 429, or no answer. */
  static final class Retryable extends RuntimeException {
    final Integer status;

    Retryable(Integer status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** A receiver's answer that no later attempt changes: any other 4xx, or a refused target. */
  static final class Permanent extends RuntimeException {
    final Integer status;

    Permanent(Integer status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private final Vertx vertx;
  private final MonitoringConfig.Notifications config;
  private final NotificationRepository outbox;
  private final ResourceRepository resources;
  private final Credentials credentials;
  private final OutboundPolicy policy;
  private final ModelMetrics metrics;
  private final SchemaMigrator schema;
  private final String owner;
  private final Duration lease;
  private final Map<String, TypedGuard<Uni<Integer>>> guards = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean claiming;
  private volatile boolean stopped;
  private HttpClient client;
  private Periodic timer;

  NotificationSender(
      Vertx vertx,
      MonitoringConfig config,
      NotificationRepository outbox,
      ResourceRepository resources,
      Credentials credentials,
      OutboundPolicy policy,
      ModelMetrics metrics,
      SchemaMigrator schema,
      InstanceRegistrar registrar) {
    this.vertx = vertx;
    this.config = config.notifications();
    this.outbox = outbox;
    this.resources = resources;
    this.credentials = credentials;
    this.policy = policy;
    this.metrics = metrics;
    this.schema = schema;
    this.owner = registrar.instanceId() + "/" + UUID.randomUUID().toString().substring(0, 8);
    // one attempt and its blip retries, with room to record the answer
    this.lease =
        this.config
            .timeout()
            .multipliedBy(BLIP_RETRIES + 1)
            .plus(BLIP_DELAY.multipliedBy(8))
            .plusSeconds(5);
  }

  void onStart(@Observes StartupEvent event) {
    if (!config.enabled()) {
      return;
    }
    int timeoutMs = (int) config.timeout().toMillis();
    client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout(timeoutMs)
                .setIdleTimeout(timeoutMs)
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setKeepAlive(true)
                .setVerifyHost(true)
                .setMaxPoolSize(config.maxConcurrent()));
    timer = Periodic.onEventLoop(vertx, config.pollInterval(), this::poll);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopped = true;
    if (timer != null) {
      timer.stop();
      client.close();
    }
  }

  private void poll() {
    int room = config.maxConcurrent() - inFlight.get();
    if (stopped || claiming || room <= 0 || !schema.migrated()) {
      return;
    }
    claiming = true;
    outbox
        .claim(owner, lease, Math.min(room, 16))
        .subscribe()
        .with(
            claimed -> {
              claiming = false;
              claimed.forEach(this::deliver);
              if (claimed.size() == Math.min(room, 16)) {
                vertx.runOnContext(v -> poll());
              }
            },
            failure -> {
              claiming = false;
              LOG.debugf("Could not claim notifications: %s", failure.toString());
            });
  }

  private void deliver(Notification n) {
    inFlight.incrementAndGet();
    resources
        .get(n.tenant(), ResourceKind.INTEGRATED_SYSTEMS, n.integratedSystemId())
        .chain(
            system -> {
              if (system == null) {
                throw new Permanent(null, "the integrated system was deleted");
              }
              JsonNode secret = system.entity().path("credentials").path("secret_id");
              return (secret.isTextual()
                      ? credentials.reveal(n.tenant(), secret.asText())
                      : Uni.createFrom().item(system.entity().objectNode()))
                  .chain(creds -> send(n, system.entity(), creds));
            })
        .onTermination()
        .invoke(inFlight::decrementAndGet)
        .subscribe()
        .with(status -> record(n, status, null), failure -> record(n, null, failure));
  }

  private Uni<Integer> send(Notification n, ObjectNode system, ObjectNode creds) {
    String url =
        creds.path("url").isTextual()
            ? creds.path("url").asText()
            : system.path("connection").path("url").asText();
    String type = system.path("type").asText();
    byte[] body =
        (type.equals("slack") ? Messages.slack(n.body()) : n.body())
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    return policy
        .checkOffLoop("url", url)
        .onFailure()
        .transform(refused -> new Permanent(null, refused.getMessage()))
        .chain(
            target -> {
              RequestOptions request = request(n, target, creds, body);
              TypedGuard<Uni<Integer>> guard =
                  guards.computeIfAbsent(target.receiver(), this::guard);
              try {
                return guard.call(() -> once(request, body));
              } catch (Exception e) {
                return Uni.createFrom().failure(e);
              }
            });
  }

  private RequestOptions request(
      Notification n, OutboundPolicy.Target target, ObjectNode creds, byte[] body) {
    long now = System.currentTimeMillis() / 1000;
    RequestOptions r =
        target
            .post(config.timeout())
            .putHeader("Content-Type", "application/json")
            .putHeader("User-Agent", "Vigil-Notifications/1")
            .putHeader("Vigil-Notification-Id", n.id())
            .putHeader("Vigil-Notification-Type", n.type())
            .putHeader("Vigil-Timestamp", Long.toString(now));
    creds
        .path("headers")
        .fields()
        .forEachRemaining(h -> r.putHeader(h.getKey(), h.getValue().asText()));
    if (creds.path("secret").isTextual()) {
      r.putHeader("Vigil-Signature", Messages.signature(creds.path("secret").asText(), now, body));
    }
    return r;
  }

  private Uni<Integer> once(RequestOptions request, byte[] body) {
    return Uni.createFrom()
        .completionStage(
            () ->
                client
                    .request(request)
                    .compose(req -> req.send(Buffer.buffer(body)))
                    .compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .toCompletionStage())
        .onFailure(f -> !(f instanceof Retryable) && !(f instanceof Permanent))
        .transform(f -> new Retryable(null, f.getClass().getSimpleName() + ": " + f.getMessage()))
        .map(
            status -> {
              if (status >= 200 && status < 300) {
                return status;
              }
              if (status >= 500 || status == 408 || status == 429) {
                throw new Retryable(status, "the receiver answered " + status);
              }
              throw new Permanent(status, "the receiver answered " + status);
            });
  }

  private TypedGuard<Uni<Integer>> guard(String receiver) {
    return TypedGuard.create(UNI_INT)
        .withDescription("notifications to " + receiver)
        .withBulkhead()
        .limit(config.maxConcurrentPerReceiver())
        .queueSize(config.maxConcurrentPerReceiver() * 4)
        .done()
        .withTimeout()
        .duration(config.timeout().toMillis() + 500, ChronoUnit.MILLIS)
        .done()
        .withRetry()
        .maxRetries(BLIP_RETRIES)
        .delay(BLIP_DELAY.toMillis(), ChronoUnit.MILLIS)
        .retryOn(Retryable.class)
        .withExponentialBackoff()
        .factor(2)
        .done()
        .done()
        .build();
  }

  private void record(Notification n, Integer status, Throwable failure) {
    if (failure == null) {
      metrics.delivery(n.type(), "delivered");
      outbox
          .delivered(n.id(), owner, status)
          .subscribe()
          .with(
              owned -> {
                if (!owned) {
                  LOG.infof("Notification %s delivered after its lease ran out", n.id());
                }
              },
              f -> LOG.warnf("Notification %s delivered, not recorded: %s", n.id(), f.toString()));
      return;
    }
    boolean bulkheadFull = failure instanceof BulkheadException;
    boolean permanent = failure instanceof Permanent;
    Integer answered =
        failure instanceof Retryable r
            ? r.status
            : failure instanceof Permanent p ? p.status : null;
    Duration backoff = bulkheadFull ? Duration.ofSeconds(1) : backoff(n.attempts());
    outbox
        .attemptFailed(
            n.id(),
            owner,
            answered,
            bulkheadFull ? "waiting: the receiver has its requests in flight" : message(failure),
            backoff,
            permanent ? Duration.ZERO : config.retryFor(),
            !bulkheadFull)
        .subscribe()
        .with(
            state -> {
              if (state != null && !bulkheadFull) {
                metrics.delivery(n.type(), state.equals("failed") ? "failed" : "retried");
                LOG.infof(
                    "Notification %s (%s) not delivered: %s; %s",
                    n.id(),
                    n.type(),
                    message(failure),
                    state.equals("failed") ? "failed" : "retried in " + backoff);
              }
            },
            f -> LOG.warnf("Notification %s: attempt not recorded: %s", n.id(), f.toString()));
  }

  private Duration backoff(int attempts) {
    long ms = config.initialBackoff().toMillis() << Math.min(Math.max(attempts - 1, 0), 20);
    ms = Math.min(ms, config.maxBackoff().toMillis());
    // up to a fifth of jitter, so receivers that come back are not hit by every retry at once
    return Duration.ofMillis(ms + (long) (Math.random() * ms / 5));
  }

  private static String message(Throwable failure) {
    String m =
        failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return m.length() > 500 ? m.substring(0, 500) : m;
  }
}
