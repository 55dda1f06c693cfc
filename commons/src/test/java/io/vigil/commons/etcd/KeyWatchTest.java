package io.vigil.commons.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vigil.process.EtcdCluster;
import io.vigil.process.Workspace;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one way Vigil follows etcd, against a real etcd. */
class KeyWatchTest {

  private static EtcdCluster etcd;
  private static EtcdGateway gateway;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    etcd = EtcdCluster.start(Workspace.forTests(), "etcd-watch", 1);
    gateway = new EtcdGateway(etcd.endpoints(), asRoot(etcd), Duration.ofSeconds(2));
    vertx = Vertx.vertx();
  }

  private static Optional<EtcdGateway.Credentials> asRoot(EtcdCluster cluster) {
    return Optional.of(
        new EtcdGateway.Credentials(cluster.root().name(), cluster.root().password()));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    vertx.close();
    etcd.close();
  }

  private static void put(String key, String value) {
    gateway.put(key, value, 0).await().atMost(Duration.ofSeconds(5));
  }

  @Test
  void aChangeIsReadAtOnce() {
    List<Map<String, String>> reads = new CopyOnWriteArrayList<>();
    KeyWatch watch =
        new KeyWatch(
            gateway,
            "test-watch",
            "/w1/",
            true,
            "/w1/",
            Duration.ofMinutes(10), // no resync within the test: only the watch can bring it
            Duration.ofSeconds(2),
            read -> {
              reads.add(read.kvs());
              return read.kvs().size() + " keys";
            });
    watch.start(vertx);
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> watch.outcome().up());
      put("/w1/a", "1");
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> !reads.isEmpty() && "1".equals(reads.get(reads.size() - 1).get("/w1/a")));
    } finally {
      watch.stop();
    }
  }

  @Test
  void theResyncBringsWhatAWatchMissed() {
    List<Map<String, String>> reads = new CopyOnWriteArrayList<>();
    // the watched key never changes: only the periodic re-read can see /w2/b
    KeyWatch watch =
        new KeyWatch(
            gateway,
            "test-resync",
            "/w2-never-written",
            false,
            "/w2/",
            Duration.ofMillis(200),
            Duration.ofSeconds(2),
            read -> {
              reads.add(read.kvs());
              return "read";
            });
    watch.start(vertx);
    try {
      put("/w2/b", "2");
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> !reads.isEmpty() && "2".equals(reads.get(reads.size() - 1).get("/w2/b")));
      assertThat(watch.outcome().up()).isTrue();
    } finally {
      watch.stop();
    }
  }

  @Test
  void withEtcdGoneTheOutcomeGoesDownAndTheLastReadStays() {
    EtcdCluster lone = EtcdCluster.start(Workspace.forTests(), "etcd-gone", 1);
    EtcdGateway other = new EtcdGateway(lone.endpoints(), asRoot(lone), Duration.ofSeconds(2));
    List<Map<String, String>> reads = new CopyOnWriteArrayList<>();
    KeyWatch watch =
        new KeyWatch(
            other,
            "test-gone",
            "/w3/",
            true,
            "/w3/",
            Duration.ofMillis(200),
            Duration.ofMillis(500),
            read -> {
              reads.add(read.kvs());
              return "read";
            });
    try {
      other.put("/w3/c", "3", 0).await().atMost(Duration.ofSeconds(5));
      watch.start(vertx);
      await().atMost(Duration.ofSeconds(3)).until(() -> watch.outcome().up());
      lone.kill(0);
      await().atMost(Duration.ofSeconds(5)).until(() -> !watch.outcome().up());
      assertThat(reads).isNotEmpty().allMatch(kvs -> "3".equals(kvs.get("/w3/c")));
    } finally {
      watch.stop();
      other.close();
      lone.close();
    }
  }
}
