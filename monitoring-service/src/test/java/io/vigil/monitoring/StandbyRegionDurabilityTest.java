package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vigil.commons.postgres.WalPosition;
import io.vigil.commons.topology.TopologyKeys;
import io.vigil.testkit.EtcdResource;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With {@code durability.standby-region}, a write is answered only once the WAL position the backup
 * leader publishes as safe in the other region covers it (real PostgreSQL, real etcd; the test
 * publishes the position the backup-service would — the backup side is S3RepositoryTest's).
 */
@QuarkusTest
@TestProfile(StandbyRegionDurabilityTest.WaitForStandbyRegion.class)
class StandbyRegionDurabilityTest {

  static final String BACKUP_REGION = "durability-test";

  /** Writes wait for the other region, at most 2 s. */
  public static class WaitForStandbyRegion implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "vigil.monitoring.durability.standby-region", "true",
          "vigil.monitoring.durability.timeout", "2s",
          "vigil.monitoring.durability.backup-region", BACKUP_REGION);
    }
  }

  @Inject Pool pool;

  @Test
  void aWriteIsAnsweredOnlyOnceItsWalIsSafeInTheOtherRegion() throws Exception {
    try (Client etcd = EtcdResource.client()) {
      // the operator's writes wait too: the tenant is created once its WAL is published as safe
      CompletableFuture<ApiFixture> created = CompletableFuture.supplyAsync(ApiFixture::newTenant);
      publishUntilDone(etcd, created);
      ApiFixture tenant = created.get(5, TimeUnit.SECONDS);

      // nothing new is safe there: the write is committed, and answered 503 after the timeout
      long t0 = System.nanoTime();
      Response refused = tenant.api().body(Map.of("name", "m1")).post("/data_marts");
      long waited = System.nanoTime() - t0;
      isError(refused.then(), 503, "not_durable_yet")
          .header("Retry-After", is("1"))
          .body("errors[0].message", containsString("standby region"));
      assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));

      // a write waiting while the position moves past it is answered as soon as it does
      CompletableFuture<Response> waiting =
          CompletableFuture.supplyAsync(
              () -> tenant.api().body(provider("m2")).post("/service_providers"));
      Thread.sleep(700);
      assertThat(waiting).isNotDone();
      publishUntilDone(etcd, waiting);
      Response accepted = waiting.get(2, TimeUnit.SECONDS);
      WalPosition flushed = flushed();
      assertThat(accepted.statusCode()).as(accepted.asString()).isEqualTo(201);

      // the primary moved to a later timeline before the write got there: refused at once
      CompletableFuture<Response> overtaken =
          CompletableFuture.supplyAsync(
              () -> tenant.api().body(provider("m3")).post("/service_providers"));
      Thread.sleep(300);
      publish(etcd, new WalPosition(flushed.timeline() + 1, flushed.lsn()));
      Response changed = overtaken.get(1, TimeUnit.SECONDS);
      isError(changed.then(), 503, "not_durable_yet")
          .header("Retry-After", is("1"))
          .body("errors[0].message", containsString("primary changed"));
      // reads never wait
      tenant.api().get("/service_providers").then().statusCode(200);
    }
  }

  private WalPosition flushed() {
    Row r =
        pool.query(WalPosition.FLUSHED_QUERY)
            .execute()
            .await()
            .atMost(Duration.ofSeconds(5))
            .iterator()
            .next();
    return WalPosition.of(r.getString(0), r.getString(1));
  }

  private static Map<String, Object> provider(String name) {
    return Map.of("name", name, "service_type", "watson_machine_learning");
  }

  /** Publishes the primary's flushed position, as the backup leader would, until done. */
  private void publishUntilDone(Client etcd, CompletableFuture<?> write) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!write.isDone() && System.nanoTime() < deadline) {
      publish(etcd, flushed());
      Thread.sleep(100);
    }
  }

  private static void publish(Client etcd, WalPosition p) throws Exception {
    etcd.getKVClient()
        .put(
            ByteSequence.from(TopologyKeys.standbyDurable(BACKUP_REGION), StandardCharsets.UTF_8),
            ByteSequence.from(p.toString(), StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }
}
