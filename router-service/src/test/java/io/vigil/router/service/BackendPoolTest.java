package io.vigil.router.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.config.RouterConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool's choices and rules without a network: instances from a static topology (no etcd), their
 * health set as the active checks would set it.
 */
class BackendPoolTest {

  private static final int FALL = 2;
  private static final int RISE = 2;

  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private Vertx vertx;
  private BackendPool pool;

  @BeforeEach
  void pool() {
    vertx = Vertx.vertx();
    RouterConfig config =
        new TestRouterConfig(
            List.of(
                "zone-a=http://127.0.0.1:10001",
                "zone-b=http://127.0.0.1:10002",
                "zone-c=http://127.0.0.1:10003"));
    RegionConfig region = TestRouterConfig.regionWithoutEtcd();
    TopologyCache topology =
        new TopologyCache(new EtcdGateway(region), region, config, new ObjectMapper(), vertx);
    pool =
        new BackendPool(
            topology,
            config,
            vertx,
            metrics,
            new ReadinessProbe(vertx, config, new BackendTls(NO_TLS, config)));
    pool.refresh();
  }

  /** No TLS configuration: instances are reached over plain HTTP. */
  private static final io.quarkus.tls.TlsConfigurationRegistry NO_TLS =
      new io.quarkus.tls.TlsConfigurationRegistry() {
        public java.util.Optional<io.quarkus.tls.TlsConfiguration> get(String name) {
          return java.util.Optional.empty();
        }

        public java.util.Optional<io.quarkus.tls.TlsConfiguration> getDefault() {
          return java.util.Optional.empty();
        }

        public void register(String name, io.quarkus.tls.TlsConfiguration configuration) {
          throw new UnsupportedOperationException();
        }
      };

  @AfterEach
  void close() {
    vertx.close();
  }

  private Backend in(String zone) {
    return pool.all().stream().filter(b -> b.zone().equals(zone)).findFirst().orElseThrow();
  }

  private void healthy(String... zones) {
    for (String zone : zones) {
      for (int i = 0; i < RISE; i++) {
        in(zone).checkPassed(RISE);
      }
    }
    pool.refresh();
  }

  private Map<String, Integer> choices(int n, Set<String> avoidZones) {
    Map<String, Integer> chosen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Backend b = pool.choose(avoidZones, Set.of());
      chosen.merge(b == null ? "none" : b.zone(), 1, Integer::sum);
    }
    return chosen;
  }

  @Test
  void anInstanceEntersAfterRisePassesAndLeavesAfterFallFailures() {
    Backend a = in("zone-a");
    assertThat(a.healthy()).as("not checked yet").isFalse();
    a.checkPassed(RISE);
    assertThat(a.healthy()).isFalse();
    a.checkPassed(RISE);
    assertThat(a.healthy()).isTrue();
    a.checkFailed(FALL, "timeout");
    assertThat(a.healthy()).as("one failure is not enough").isTrue();
    a.checkPassed(RISE);
    a.checkFailed(FALL, "timeout");
    assertThat(a.healthy()).as("a pass in between starts the count over").isTrue();
    a.checkFailed(FALL, "timeout");
    assertThat(a.healthy()).isFalse();
    assertThat(a.reason()).isEqualTo("timeout");
  }

  @Test
  void twoChoicesSendLittleToTheBusyInstance() {
    healthy("zone-a", "zone-b", "zone-c");
    for (int i = 0; i < 5; i++) {
      in("zone-a").begin();
    }
    Map<String, Integer> chosen = choices(900, Set.of());
    // the busy one wins only when both picks land on it: about 1 in 9
    assertThat(chosen.getOrDefault("zone-a", 0)).isLessThan(200);
    assertThat(chosen.get("zone-b")).isGreaterThan(250);
    assertThat(chosen.get("zone-c")).isGreaterThan(250);
  }

  @Test
  void otherZonesFirstThenTheAvoidedOneRatherThanNone() {
    healthy("zone-a", "zone-b");
    assertThat(choices(50, Set.of("zone-a"))).containsOnlyKeys("zone-b");
    assertThat(choices(50, Set.of("zone-a", "zone-b"))).containsKeys("zone-a", "zone-b");
    assertThat(pool.choose(Set.of(), Set.of(in("zone-a").id(), in("zone-b").id()))).isNull();
  }

  @Test
  void aDrainingZoneServesOnlyWhenNoActiveZoneCanAndADisabledOneNever() {
    healthy("zone-a", "zone-b", "zone-c");
    pool.setAdminState("zone-a", BackendPool.DRAINING);
    pool.setAdminState("zone-b", BackendPool.DISABLED);
    assertThat(choices(50, Set.of())).containsOnlyKeys("zone-c");
    assertThat(pool.zones().get("zone-a").state()).isEqualTo("DRAINING");
    assertThat(pool.zones().get("zone-b").state()).isEqualTo("DISABLED");
    for (int i = 0; i < FALL; i++) {
      in("zone-c").checkFailed(FALL, "down");
    }
    assertThat(choices(50, Set.of())).containsOnlyKeys("zone-a");
    assertThat(pool.zones().get("zone-c").state()).isEqualTo("DOWN");
    assertThat(pool.anyServing()).isTrue();
  }

  @Test
  void aPassiveSignalNeverEjectsTheLastHealthyInstanceTheActiveChecksDo() {
    healthy("zone-a", "zone-b");
    pool.ejected(in("zone-a"), "reset");
    assertThat(in("zone-a").healthy()).isFalse();
    assertThat(metrics.counter("vigil.router.ejections", "zone", "zone-a").count()).isOne();

    pool.ejected(in("zone-b"), "reset");
    assertThat(in("zone-b").healthy()).as("the last healthy instance stays").isTrue();
    assertThat(metrics.counter("vigil.router.ejections.withheld", "zone", "zone-b").count())
        .isOne();
    assertThat(pool.anyServing()).isTrue();

    for (int i = 0; i < FALL; i++) {
      in("zone-b").checkFailed(FALL, "readiness answered 503");
    }
    pool.refresh();
    assertThat(in("zone-b").healthy()).isFalse();
    assertThat(pool.anyServing()).isFalse();
    assertThat(pool.zones().get("zone-b").reason()).contains("readiness answered 503");
  }
}
