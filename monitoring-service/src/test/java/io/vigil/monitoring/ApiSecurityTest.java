package io.vigil.monitoring;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.vigil.testkit.OpenApiRoutes;
import io.vigil.testkit.OpenApiRoutes.Route;
import io.vigil.testkit.Operator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every route the monitoring API documents, tried by an unauthenticated caller, a wrong key and
 * another tenant: 401/403 in the API's error format, and nothing changes.
 */
@QuarkusTest
class ApiSecurityTest {

  @Test
  void everyDocumentedRouteRefusesStrangersAndOtherTenants() {
    ApiFixture a = ApiFixture.newTenant();
    ApiFixture b = ApiFixture.newTenant();
    List<Route> routes = OpenApiRoutes.documented();
    assertThat(routes).hasSizeGreaterThan(15);
    for (Route r : routes) {
      String path = r.path().replace("/openscale/x/", "/openscale/" + a.id() + "/");
      boolean admin = path.startsWith("/admin/");
      assertThat(admin || path.startsWith("/openscale/" + a.id() + "/")).as(path).isTrue();
      refused(json(given()), r.method(), path, 401, "unauthorized");
      refused(
          json(given()).header("Authorization", "Bearer vgl_wrong"),
          r.method(),
          path,
          401,
          "unauthorized");
      if (admin) {
        // a tenant's key is no operator key
        refused(
            json(given()).header("Authorization", "Bearer " + a.key()),
            r.method(),
            path,
            401,
            "unauthorized");
        if (!r.method().equals("GET")) {
          refused(json(Operator.reader()), r.method(), path, 403, "forbidden");
        }
      } else {
        refused(
            json(given()).header("Authorization", "Bearer " + b.key()),
            r.method(),
            path,
            403,
            "forbidden");
        // the operator key is no tenant key
        refused(json(Operator.given()), r.method(), path, 401, "unauthorized");
      }
    }
    // nothing was created on the way
    a.api().get("/subscriptions").then().statusCode(200).body("subscriptions.size()", is(0));
    a.api().get("/data_marts").then().statusCode(200).body("data_marts.size()", is(0));
  }

  @Test
  void theReaderKeyListsButCreatesNoTenant() {
    Operator.reader()
        .contentType("application/json")
        .body(Map.of("name", "sneaky"))
        .post("/admin/v1/service_instances")
        .then()
        .statusCode(403)
        .body("errors[0].code", is("forbidden"));
  }

  private static RequestSpecification json(RequestSpecification request) {
    return request.contentType("application/json").body("{}");
  }

  private static void refused(
      RequestSpecification request, String method, String path, int status, String code) {
    var response = request.request(method, path);
    assertThat(response.statusCode()).as(method + " " + path).isEqualTo(status);
    assertThat(response.jsonPath().getString("errors[0].code"))
        .as(method + " " + path)
        .isEqualTo(code);
  }
}
