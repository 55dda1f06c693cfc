package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vigil.testkit.PatroniCluster;
import io.vigil.testkit.quarkus.PatroniResource;
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
        sleep(200); // a client (or the router) retries the same record
      }
    }
    assertThat(acknowledged).hasSize(60);
    double seconds = (backAt - killedAt) / 1e9;
    LOG.infof(
        "writes refused for %.1f s (%d refusals) after the leader was killed", seconds, refused);
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

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
