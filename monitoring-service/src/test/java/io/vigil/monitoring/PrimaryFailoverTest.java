package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vigil.process.PatroniCluster;
import io.vigil.testkit.PatroniResource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The Patroni leader is killed while records are written: writes are refused with 503 and
 * Retry-After (never another error) until the new leader serves, the write pool follows it through
 * etcd, and every acknowledged record is there afterwards.
 */
@QuarkusTest
@TestProfile(PrimaryFailoverTest.HighlyAvailable.class)
class PrimaryFailoverTest {

  private static final Logger LOG = Logger.getLogger(PrimaryFailoverTest.class);

  /** A Patroni cluster instead of the single server. */
  public static class HighlyAvailable implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(PatroniResource.class));
    }

    @Override
    public boolean disableGlobalTestResources() {
      return true;
    }
  }

  /**
   * Every member running and a synchronous standby assigned (a member killed by the other test is
   * started again and rejoins): without a synchronous standby Patroni would rightly not fail over.
   */
  @org.junit.jupiter.api.BeforeEach
  void wholeCluster() {
    PatroniCluster patroni = PatroniResource.current();
    for (PatroniCluster.Member m : patroni.members()) {
      if (m.process() == null) {
        patroni.restart(m);
      }
    }
    assertThat(
            awaitUntil(
                () ->
                    patroni.members().stream()
                            .allMatch(
                                m ->
                                    io.vigil.process.Http.get(m.restUrl() + "/health").status()
                                        == 200)
                        && patroni.syncStandby().isPresent(),
                120))
        .as("three members running and a synchronous standby")
        .isTrue();
  }

  @Test
  void writesComeBackOnTheNewLeaderAndNoAcknowledgedRecordIsLost() {
    ApiFixture t = ApiFixture.newTenant();
    String payloadSet = t.dataSet(t.creditRiskSubscription(), "payload_logging");
    String records = "/data_sets/" + payloadSet + "/records";
    Set<String> acknowledged = new HashSet<>();
    PatroniCluster patroni = PatroniResource.current();
    PatroniCluster.Member oldLeader = patroni.leader().orElseThrow();

    long killedAt = 0;
    long backAt = 0;
    int refused = 0;
    int readsServed = 0;
    long lastFailedRead = 0;
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int i = 0; acknowledged.size() < 60 && System.nanoTime() < deadline; ) {
      if (acknowledged.size() == 20 && killedAt == 0) {
        patroni.kill(oldLeader);
        killedAt = System.nanoTime();
      }
      String id = "r-" + i;
      Response r =
          t.api()
              .body(List.of(RecordResourceTest.payload(id, 30, "male", "Risk", 0.7)))
              .post(records);
      if (r.statusCode() == 202) {
        acknowledged.add(id);
        if (killedAt != 0 && backAt == 0) {
          backAt = System.nanoTime();
        }
        i++;
      } else {
        assertThat(r.statusCode())
            .as("only 503 while failing over: " + r.asString())
            .isEqualTo(503);
        assertThat(r.header("Retry-After")).isNotNull();
        refused++;
        // reads go on meanwhile, from a replica Patroni lists
        int read = t.api().queryParam("limit", 10).get(records).statusCode();
        if (read == 200) {
          readsServed++;
        } else {
          assertThat(read).isEqualTo(503);
          lastFailedRead = System.nanoTime();
        }
        sleep(200); // a client (or the router) retries the same record
      }
    }
    assertThat(acknowledged).hasSize(60);
    double seconds = (backAt - killedAt) / 1e9;
    double readsFailedFor = lastFailedRead == 0 ? 0 : (lastFailedRead - killedAt) / 1e9;
    LOG.infof(
        "writes refused for %.1f s (%d refusals) after the leader was killed; %d reads served"
            + " meanwhile, reads failed during the first %.1f s",
        seconds, refused, readsServed, readsFailedFor);
    assertThat(readsServed).as("reads served from a replica during the failover").isGreaterThan(5);
    assertThat(readsFailedFor).as("reads failed only until the replicas took them").isLessThan(3);
    assertThat(seconds).as("writes back within the failover time").isLessThan(60);
    assertThat(patroni.leader().orElseThrow().name()).isNotEqualTo(oldLeader.name());

    List<String> stored =
        t.api()
            .queryParam("limit", 1000)
            .get(records)
            .then()
            .statusCode(200)
            .extract()
            .path("records.metadata.id");
    assertThat(new HashSet<>(stored)).containsAll(acknowledged);
    assertThat(stored).doesNotHaveDuplicates();
  }

  /**
   * Patroni alone dies on the leader; its PostgreSQL runs on as a primary nobody elected. When the
   * leader key expires another member is promoted, and when Patroni comes back on the former leader
   * it rewrites the configuration — releasing commits that waited there for a synchronous standby —
   * then demotes and rewinds it. Nothing acknowledged may be among what the rewind discards: the
   * write pool must have left the former primary as soon as the new one was elected.
   */
  @Test
  void aFormerPrimaryThatRunsOnWithoutPatroniAcknowledgesNothingThatIsThenLost() throws Exception {
    ApiFixture t = ApiFixture.newTenant();
    String payloadSet = t.dataSet(t.creditRiskSubscription(), "payload_logging");
    String records = "/data_sets/" + payloadSet + "/records";
    Set<String> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger afterFailover =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean failedOver =
        new java.util.concurrent.atomic.AtomicBoolean();
    PatroniCluster patroni = PatroniResource.current();
    PatroniCluster.Member former = patroni.leader().orElseThrow();
    List<String> unexpected = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    List<Thread> writers = new java.util.ArrayList<>();
    for (int w = 0; w < 4; w++) {
      String writer = "z-" + w + "-";
      writers.add(
          writer(
              stop,
              unexpected,
              202,
              50,
              i ->
                  t.api()
                      .body(
                          List.of(RecordResourceTest.payload(writer + i, 30, "male", "Risk", 0.7)))
                      .post(records),
              (i, r) -> {
                acknowledged.add(writer + i);
                if (failedOver.get()) {
                  afterFailover.incrementAndGet();
                }
              }));
    }
    // configuration changes go through Hibernate Reactive on the same primary-following pool: a
    // service provider and its sealed credentials, one transaction each
    Set<String> providers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    writers.add(
        writer(
            stop,
            unexpected,
            201,
            100,
            i ->
                t.api()
                    .body(
                        java.util.Map.of(
                            "name",
                            "p-" + i,
                            "service_type",
                            "watson_machine_learning",
                            "credentials",
                            java.util.Map.of("apikey", "k-" + i)))
                    .post("/service_providers"),
            (i, r) -> providers.add(r.path("metadata.id"))));
    boolean elected;
    boolean rejoined;
    try {
      assertThat(awaitUntil(() -> acknowledged.size() >= 20, 60)).isTrue();
      patroni.killPatroni(former);
      elected =
          awaitUntil(
              () -> patroni.leader().map(l -> !l.name().equals(former.name())).orElse(false), 60);
      failedOver.set(true);
      // writes go on against the new primary (or, wrongly, wait on the former one)
      awaitUntil(() -> afterFailover.get() >= 20, 20);
      patroni.restart(former);
      rejoined =
          awaitUntil(
              () ->
                  io.vigil.process.Http.get(former.restUrl() + "/replica").status() == 200
                      && afterFailover.get() >= 40,
              120);
    } finally {
      stop.set(true);
      for (Thread w : writers) {
        w.join(60_000);
      }
    }
    assertThat(elected).as("another member elected while the former primary ran on").isTrue();
    assertThat(rejoined).as("the former primary rejoined as a replica, writes went on").isTrue();
    assertThat(unexpected).as("only 503 while failing over").isEmpty();
    assertThat(afterFailover.get()).isGreaterThanOrEqualTo(40);
    Set<String> stored = new HashSet<>();
    for (int offset = 0; ; offset += 1000) {
      List<String> page =
          t.api()
              .queryParam("limit", 1000)
              .queryParam("offset", offset)
              .get(records)
              .then()
              .statusCode(200)
              .extract()
              .path("records.metadata.id");
      stored.addAll(page);
      if (page.size() < 1000) {
        break;
      }
    }
    LOG.infof("%d records acknowledged, %d stored", acknowledged.size(), stored.size());
    assertThat(stored).containsAll(acknowledged);
    List<String> storedProviders =
        t.api()
            .get("/service_providers")
            .then()
            .statusCode(200)
            .extract()
            .path("service_providers.metadata.id");
    LOG.infof(
        "%d service providers acknowledged, %d stored", providers.size(), storedProviders.size());
    assertThat(providers).hasSizeGreaterThan(10);
    assertThat(storedProviders).containsAll(providers);
  }

  /**
   * A writer thread: request {@code i} until it is answered {@code success} (then the next, after
   * {@code pauseMillis}), retrying a 503 — a failover in progress — and noting any other answer.
   */
  private static Thread writer(
      java.util.concurrent.atomic.AtomicBoolean stop,
      List<String> unexpected,
      int success,
      long pauseMillis,
      java.util.function.IntFunction<Response> request,
      java.util.function.BiConsumer<Integer, Response> acknowledged) {
    return Thread.ofPlatform()
        .start(
            () -> {
              for (int i = 0; !stop.get() && i < 10_000; ) {
                Response r = request.apply(i);
                if (r.statusCode() == success) {
                  acknowledged.accept(i, r);
                  i++;
                  sleep(pauseMillis);
                } else {
                  if (r.statusCode() != 503) {
                    unexpected.add(r.statusCode() + " " + r.asString());
                  }
                  sleep(200);
                }
              }
            });
  }

  private static boolean awaitUntil(java.util.function.BooleanSupplier done, int seconds) {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (done.getAsBoolean()) {
        return true;
      }
      sleep(100);
    }
    return false;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
