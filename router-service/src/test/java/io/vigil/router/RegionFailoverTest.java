package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vigil.router.ZoneBackends.Mode;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import io.vigil.testkit.Operator;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Region failover: with no zone of the region ready, traffic goes to the standby region's router
 * (marked so it does not bounce back); it returns only after the region has been serving for the
 * fail-back hold (2 s here).
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = StandbyRouterResource.class, restrictToAnnotatedClass = true)
class RegionFailoverTest {

  private static final String API = "/openscale/i/v2/subscriptions";

  @Test
  void failsOverWhenNoZoneServesAndFailsBackAfterTheHold() throws Exception {
    try (ZoneBackends zones =
        ZoneBackends.start(EtcdResource.current().endpoints(), "us-south", "zone-a", "zone-b")) {
      // the region serves before the first request: no failover while the zones come up (the
      // router gives a region it has not seen serve only the hold time after its own start)
      RouterProxyTest.awaitZones("UP", "zone-a", "zone-b");
      await()
          .atMost(Duration.ofSeconds(15))
          .untilAsserted(
              () -> given().get(API).then().statusCode(200).header("Vigil-Region", "us-south"));

      zones.mode("zone-a", Mode.NOT_READY);
      zones.mode("zone-b", Mode.NOT_READY);
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  given()
                      .get(API)
                      .then()
                      .statusCode(200)
                      .header("Vigil-Region", "us-east")
                      .header("Vigil-Zone", "zone-s")
                      .body("failover_from", is("us-south")));
      Operator.given()
          .get("/routing/zones")
          .then()
          .body("failover.serving", is("standby"))
          .body("failover.standby_routers[0].healthy", is(true));
      // a request another region failed over to us is never sent on again
      given()
          .header("Vigil-Failover-From", "us-west")
          .get(API)
          .then()
          .statusCode(503)
          .body("errors[0].code", is("service_unavailable"));

      zones.mode("zone-a", Mode.SERVE);
      zones.mode("zone-b", Mode.SERVE);
      RouterProxyTest.awaitZones("UP", "zone-a");
      long upAt = System.nanoTime();
      Response during = given().get(API);
      assertThat(during.header("Vigil-Region")).as("within the hold").isEqualTo("us-east");
      await()
          .atMost(Duration.ofSeconds(6))
          .untilAsserted(
              () -> given().get(API).then().statusCode(200).header("Vigil-Region", "us-south"));
      assertThat(Duration.ofNanos(System.nanoTime() - upAt)).isGreaterThan(Duration.ofMillis(1500));
      Management.given()
          .get("/q/metrics")
          .then()
          .body(containsString("vigil_router_failovers_total{to=\"standby\"} 1.0"))
          .body(containsString("vigil_router_failovers_total{to=\"primary\"} 1.0"));
    }
  }
}
