package io.vigil.router.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Operator;
import org.junit.jupiter.api.Test;

/**
 * The console's files come from the router itself (no CDN) with a policy that runs only this
 * origin's scripts, and its region view is one operator call that says what it could not reach.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class ConsoleAssetsTest {

  @Test
  void theConsoleIsServedByTheRouterWithItsOwnScriptsOnly() {
    given()
        .get("/console/")
        .then()
        .statusCode(200)
        .contentType(containsString("text/html"))
        .header("Content-Security-Policy", containsString("script-src 'self'"))
        .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
        .header("Referrer-Policy", is("no-referrer"))
        .body(containsString("Vigil console"))
        .body(not(containsString("http://")))
        .body(not(containsString("https://")));
    given()
        .get("/console/console.js")
        .then()
        .statusCode(200)
        .body(not(containsString("innerHTML")));
    given()
        .get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js")
        .then()
        .statusCode(200)
        .body(containsString("uPlot"));
  }

  @Test
  void theRegionViewNeedsTheOperatorKeyAndNamesWhatItCouldNotAsk() {
    given().get("/routing/region").then().statusCode(401);
    Operator.given()
        .get("/routing/region")
        .then()
        .statusCode(200)
        .body("zones", notNullValue())
        .body("instances", notNullValue())
        // no monitoring- or backup-service registered in this test's etcd
        .body("database.error", is("no instance registered"))
        .body("backups.error", is("no instance registered"))
        .body("etcd_members", hasSize(1))
        .body("etcd_members[0].client_urls[0]", containsString("127.0.0.1"));
  }
}
