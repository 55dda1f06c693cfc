package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.testkit.quarkus.EtcdResource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** etcd stops after the topology was loaded: the router stays ready on the last topology. */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterKeepsLastTopologyTest {

  @Test
  void staysReadyWhenEtcdGoesAway() {
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'topology' }.data.instances", is(1)));

    EtcdResource.current().kill(0);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                given()
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body("checks.find { it.name == 'topology' }.data.etcd", startsWith("DOWN"))
                    .body("checks.find { it.name == 'topology' }.data.instances", is(1)));
    given().get("/q/health/live").then().statusCode(200);
  }
}
