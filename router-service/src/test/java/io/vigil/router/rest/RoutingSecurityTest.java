package io.vigil.router.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.OpenApiRoutes;
import io.vigil.testkit.OpenApiRoutes.Route;
import io.vigil.testkit.Operator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The router's control surface takes the operator's key: every route its OpenAPI documents answers
 * 401 in the API's error format without it or with a wrong one, the read-only key reads but changes
 * nothing (403), and a refused call leaves the zones as they were.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RoutingSecurityTest {

  @Test
  void everyDocumentedRouteNeedsTheOperatorKey() {
    List<Route> routes = OpenApiRoutes.documented();
    assertThat(routes).extracting(Route::path).contains("/routing/zones", "/routing/zones/x/drain");
    for (Route r : routes) {
      unauthorized(given().request(r.method(), r.path()).then(), r);
      unauthorized(
          given().header("Authorization", "Bearer wrong").request(r.method(), r.path()).then(), r);
      unauthorized(
          given()
              .header("Authorization", "Basic " + Operator.KEY)
              .request(r.method(), r.path())
              .then(),
          r);
      int reader = Operator.reader().request(r.method(), r.path()).statusCode();
      if (r.method().equals("GET")) {
        assertThat(reader).as("reader key on " + r).isEqualTo(200);
      } else {
        assertThat(reader).as("reader key on " + r).isEqualTo(403);
      }
    }
  }

  @Test
  void aRefusedDrainChangesNothing() {
    List<String> before = states();
    for (String action : List.of("drain", "disable")) {
      unauthorized(given().post("/routing/zones/zone-a/" + action).then(), null);
      Operator.reader()
          .post("/routing/zones/zone-a/" + action)
          .then()
          .statusCode(403)
          .body("errors[0].code", is("forbidden"));
    }
    assertThat(states()).isEqualTo(before).doesNotContain("DRAINING", "DISABLED");
  }

  private static List<String> states() {
    return Operator.reader()
        .get("/routing/zones")
        .then()
        .statusCode(200)
        .extract()
        .path("zones.state");
  }

  private static void unauthorized(ValidatableResponse response, Route route) {
    response
        .statusCode(401)
        .body("errors[0].code", is("unauthorized"))
        .body("trace", notNullValue());
  }
}
