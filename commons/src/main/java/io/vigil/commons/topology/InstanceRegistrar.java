package io.vigil.commons.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.SmallRyeHealthReporter;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.schedule.Periodic;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Registers this instance in etcd under a lease once its readiness is UP, keeps the lease alive,
 * registers again when the lease is lost, and revokes it first thing on graceful shutdown.
 */
@ApplicationScoped
public class InstanceRegistrar {

  private static final Logger LOG = Logger.getLogger(InstanceRegistrar.class);
  private static final Duration TICK = Duration.ofMillis(500);

  /** Registration states; the started probe is UP in {@code REGISTERED} or {@code DISABLED}. */
  public enum State {
    WAITING_FOR_READY,
    REGISTERING,
    REGISTERED,
    DISABLED,
    STOPPED
  }

  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final SmallRyeHealthReporter health;
  private final ObjectMapper json;
  private final Vertx vertx;
  private final String service;
  private final String version;
  private final java.util.List<String> capabilities;
  private final String instanceId;
  private final AtomicReference<State> state = new AtomicReference<>(State.WAITING_FOR_READY);
  private volatile long leaseId;
  private volatile EtcdGateway.KeepAlive keepAlive;
  private volatile Instant startedAt;
  private Periodic timer;

  InstanceRegistrar(
      EtcdGateway etcd,
      RegionConfig region,
      SmallRyeHealthReporter health,
      ObjectMapper json,
      Vertx vertx,
      @ConfigProperty(name = "quarkus.application.name") String service,
      @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version,
      @ConfigProperty(name = "vigil.instance.capabilities")
          java.util.Optional<java.util.List<String>> capabilities) {
    this.etcd = etcd;
    this.region = region;
    this.health = health;
    this.json = json;
    this.vertx = vertx;
    this.service = service;
    this.version = version;
    this.capabilities = capabilities.orElse(java.util.List.of());
    this.instanceId =
        region.instanceId().orElse(service + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  void onStart(@Observes StartupEvent event) {
    startedAt = Instant.now();
    if (!etcd.enabled()) {
      state.set(State.DISABLED);
      return;
    }
    timer = Periodic.onEventLoop(vertx, TICK, this::tick);
  }

  /** The registration key of this instance. */
  public String key() {
    return TopologyKeys.instance(region.name(), region.zone(), service, instanceId);
  }

  /** Current registration state. */
  public State state() {
    return state.get();
  }

  /** The id this instance registers under. */
  public String instanceId() {
    return instanceId;
  }

  private void tick() {
    if (!state.compareAndSet(State.WAITING_FOR_READY, State.REGISTERING)) {
      return;
    }
    health
        .getReadinessAsync()
        .onItem()
        .transformToUni(
            readiness -> {
              if (readiness.isDown()) {
                return Uni.createFrom().item(false);
              }
              return register().replaceWith(true);
            })
        .subscribe()
        .with(
            registered -> {
              if (!registered) {
                state.compareAndSet(State.REGISTERING, State.WAITING_FOR_READY);
              }
            },
            failure -> {
              LOG.warnf("Registration of %s in etcd failed, will retry: %s", key(), failure);
              state.compareAndSet(State.REGISTERING, State.WAITING_FOR_READY);
            });
  }

  private Uni<Void> register() {
    String value = recordJson();
    Duration ttl = region.etcd().leaseTtl();
    return etcd.grantLease(ttl)
        .onItem()
        .transformToUni(
            lease ->
                etcd.put(key(), value, lease)
                    .invoke(
                        () -> {
                          leaseId = lease;
                          keepAlive = etcd.keepAlive(lease, this::leaseLost);
                          if (state.compareAndSet(State.REGISTERING, State.REGISTERED)) {
                            LOG.infof(
                                "Registered %s in etcd (lease %x, ttl %s)", key(), lease, ttl);
                          }
                        }));
  }

  private void leaseLost(Throwable cause) {
    if (state.compareAndSet(State.REGISTERED, State.WAITING_FOR_READY)) {
      LOG.warnf("Lost the etcd lease of %s (%s); registering again", key(), cause.toString());
      EtcdGateway.KeepAlive k = keepAlive;
      if (k != null) {
        k.close();
      }
    }
  }

  private String recordJson() {
    var config = ConfigProvider.getConfig();
    // TLS only (quarkus.http.insecure-requests=disabled): the HTTPS port; the management
    // interface is HTTPS once it names a TLS configuration
    boolean tls =
        config
            .getOptionalValue("quarkus.http.insecure-requests", String.class)
            .filter(v -> v.equalsIgnoreCase("disabled"))
            .isPresent();
    boolean managementTls =
        config
            .getOptionalValue("quarkus.management.tls-configuration-name", String.class)
            .isPresent();
    String url =
        region
            .advertisedUrl()
            .orElseGet(
                () ->
                    tls
                        ? "https://127.0.0.1:" + boundPort("quarkus.http", "ssl-port")
                        : "http://127.0.0.1:" + boundPort("quarkus.http", "port"));
    String management =
        region
            .advertisedManagementUrl()
            .orElseGet(
                () ->
                    (managementTls ? "https" : "http")
                        + "://127.0.0.1:"
                        + boundPort("quarkus.management", "port"));
    try {
      return json.writeValueAsString(
          new InstanceRecord(
              url,
              service,
              region.zone(),
              region.name(),
              version,
              startedAt,
              management,
              capabilities));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A port the HTTP server ({@code quarkus.http}: {@code port} or {@code ssl-port}) or the
   * management interface ({@code quarkus.management}) listens on; Quarkus writes the real one back
   * when 0 was asked.
   */
  private static int boundPort(String prefix, String port) {
    String key = prefix + (LaunchMode.current() == LaunchMode.TEST ? ".test-" : ".") + port;
    return ConfigProvider.getConfig().getOptionalValue(key, Integer.class).orElse(8080);
  }

  /** Deregisters before anything else stops, so routers stop sending traffic here at once. */
  void onStop(@Observes @Priority(1) ShutdownEvent event) {
    State previous = state.getAndSet(State.STOPPED);
    if (timer != null) {
      timer.stop();
    }
    EtcdGateway.KeepAlive k = keepAlive;
    if (k != null) {
      k.close();
    }
    if (previous == State.REGISTERED) {
      try {
        etcd.revokeLease(leaseId).await().atMost(region.etcd().callTimeout());
        LOG.infof("Deregistered %s from etcd", key());
      } catch (RuntimeException e) {
        LOG.warnf("Could not deregister %s; its lease expires by itself: %s", key(), e.toString());
      }
    }
  }
}
