package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** etcd stops after the topology was loaded: the router stays ready and routes on it. */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterKeepsLastTopologyTest {

  @Test
  void keepsRoutingWhenEtcdGoesAway() throws Exception {
    try (ZoneBackends zones =
        ZoneBackends.start(EtcdResource.current().endpoints(), "us-south", "zone-a", "zone-b")) {
      RouterProxyTest.awaitServing(zones, "zone-a", "zone-b");

      EtcdResource.current().kill(0);

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  Management.given()
                      .get("/q/health/ready")
                      .then()
                      .statusCode(200)
                      .body("checks.find { it.name == 'topology' }.data.etcd", startsWith("DOWN")));
      Management.given().get("/q/health/live").then().statusCode(200);
      Set<String> served = new HashSet<>();
      for (int i = 0; i < 60; i++) {
        Response r = given().get("/openscale/i/v2/subscriptions");
        assertThat(r.statusCode()).isEqualTo(200);
        served.add(r.header("Vigil-Zone"));
      }
      assertThat(served).containsExactlyInAnyOrder("zone-a", "zone-b");
    }
  }
}
