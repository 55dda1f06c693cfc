package io.vigil.monitoring;

import static io.restassured.RestAssured.given;
import static io.vigil.monitoring.ApiFixture.isError;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TenancyTest {

  @Test
  void operatorApiNeedsTheOperatorKey() {
    isError(
        given().contentType(ContentType.JSON).body("{}").post("/admin/v1/service_instances").then(),
        401,
        "unauthorized");
    isError(
        given()
            .header("Authorization", "Bearer not-the-key")
            .contentType(ContentType.JSON)
            .body("{}")
            .post("/admin/v1/service_instances")
            .then(),
        401,
        "unauthorized");
    ApiFixture tenant = ApiFixture.newTenant();
    org.assertj.core.api.Assertions.assertThat(tenant.key()).startsWith("vgl_");
  }

  @Test
  void tenantApiNeedsAKeyOfThatInstance() {
    ApiFixture a = ApiFixture.newTenant();
    ApiFixture b = ApiFixture.newTenant();
    isError(given().get("/openscale/" + a.id() + "/v2/subscriptions").then(), 401, "unauthorized");
    isError(
        given()
            .header("Authorization", "Bearer vgl_unknown")
            .get("/openscale/" + a.id() + "/v2/subscriptions")
            .then(),
        401,
        "unauthorized");
    isError(
        given()
            .header("Authorization", "Bearer " + b.key())
            .get("/openscale/" + a.id() + "/v2/subscriptions")
            .then(),
        403,
        "forbidden");
    a.api().get("/subscriptions").then().statusCode(200).body("subscriptions", empty());
  }

  @Test
  void noTenantSeesOrChangesAnothersResources() {
    ApiFixture a = ApiFixture.newTenant();
    ApiFixture b = ApiFixture.newTenant();
    String subscription = a.creditRiskSubscription();

    b.api().get("/subscriptions").then().statusCode(200).body("subscriptions", empty());
    b.api().get("/data_sets").then().statusCode(200).body("data_sets", empty());
    isError(b.api().get("/subscriptions/" + subscription).then(), 404, "not_found");
    isError(
        b.api()
            .body("[{\"op\":\"replace\",\"path\":\"/asset/name\",\"value\":\"x\"}]")
            .patch("/subscriptions/" + subscription)
            .then(),
        404,
        "not_found");
    isError(b.api().delete("/subscriptions/" + subscription).then(), 404, "not_found");
    // b cannot point its own resources at a's data mart either
    isError(
        b.api()
            .body(
                Map.of(
                    "data_mart_id",
                    a.id(),
                    "name",
                    "x",
                    "type",
                    "feedback",
                    "target",
                    Map.of("target_type", "subscription", "target_id", subscription)))
            .post("/data_sets")
            .then(),
        400,
        "invalid_request");

    a.api().get("/subscriptions/" + subscription).then().statusCode(200);
    a.api().get("/data_sets").then().statusCode(200).body("data_sets", hasSize(3));
  }

  @Test
  void keysCanBeAddedAndDieWithTheirInstance() {
    ApiFixture a = ApiFixture.newTenant();
    String second =
        given()
            .header("Authorization", "Bearer " + ApiFixture.OPERATOR_KEY)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "ci"))
            .post("/admin/v1/service_instances/" + a.id() + "/api_keys")
            .then()
            .statusCode(201)
            .body("api_key", startsWith("vgl_"))
            .extract()
            .path("api_key");
    ApiFixture viaSecond = new ApiFixture(a.id(), second);
    viaSecond.api().get("/data_marts").then().statusCode(200);

    given()
        .header("Authorization", "Bearer " + ApiFixture.OPERATOR_KEY)
        .delete("/admin/v1/service_instances/" + a.id())
        .then()
        .statusCode(204);
    isError(
        given()
            .header("Authorization", "Bearer " + ApiFixture.OPERATOR_KEY)
            .delete("/admin/v1/service_instances/" + a.id())
            .then(),
        404,
        "not_found");
    // refused at once, reads and writes alike (no cache keeps a deleted key alive)
    isError(viaSecond.api().get("/data_marts").then(), 401, "unauthorized");
    isError(a.api().get("/data_marts").then(), 401, "unauthorized");
    isError(a.api().body(Map.of("name", "mart")).post("/data_marts").then(), 401, "unauthorized");
  }
}
