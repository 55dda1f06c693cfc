package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vigil.monitoring.service.Credentials;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Credentials are write-only: stored sealed (AES-256-GCM), answered only as {@code {"secret_id"}},
 * replaced and deleted with their resource, carried sealed through a tenant's export and import.
 */
@QuarkusTest
class CredentialsTest {

  private static final String PASSWORD = "hunter2-do-not-echo";

  @Inject Pool pool;
  @Inject Credentials credentials;

  private static Map<String, Object> provider(Object credentials) {
    return Map.of(
        "name", "wml", "service_type", "watson_machine_learning", "credentials", credentials);
  }

  @Test
  void aServiceProvidersCredentialsAreSealedAndNeverAnswered() {
    ApiFixture t = ApiFixture.newTenant();
    String created =
        t.api()
            .body(provider(Map.of("username", "admin", "password", PASSWORD)))
            .post("/service_providers")
            .then()
            .statusCode(201)
            .body("entity.credentials.secret_id", not(is((String) null)))
            .body("entity.credentials.password", is((String) null))
            .extract()
            .asString();
    assertThat(created).doesNotContain(PASSWORD).doesNotContain("admin");
    String id =
        t.api().get("/service_providers").then().extract().path("service_providers[0].metadata.id");
    String secret =
        t.api()
            .get("/service_providers/" + id)
            .then()
            .statusCode(200)
            .extract()
            .path("entity.credentials.secret_id");
    assertThat(t.api().get("/service_providers").asString()).doesNotContain(PASSWORD);

    // stored sealed: neither the resource nor the secret row holds the password in clear
    assertThat(query("SELECT entity::text FROM resources WHERE id = $1", id).getString(0))
        .doesNotContain(PASSWORD);
    Row sealed = query("SELECT key_id, ciphertext FROM secrets WHERE id = $1", secret);
    assertThat(sealed.getString(0)).isEqualTo("test-2026");
    assertThat(new String(sealed.getBuffer(1).getBytes(), StandardCharsets.ISO_8859_1))
        .doesNotContain(PASSWORD);
    // what uses them opens them, for this tenant only
    assertThat(reveal(t.id(), secret).path("password").asText()).isEqualTo(PASSWORD);
    assertThatThrownBy(() -> reveal(ApiFixture.newTenant().id(), secret))
        .hasMessageContaining("does not exist");

    // a patch elsewhere keeps them; new credentials replace the secret, the old one is gone
    t.api()
        .contentType("application/json-patch+json")
        .body(List.of(Map.of("op", "add", "path", "/description", "value", "prod")))
        .patch("/service_providers/" + id)
        .then()
        .statusCode(200)
        .body("entity.credentials.secret_id", is(secret));
    String replaced =
        t.api()
            .contentType("application/json-patch+json")
            .body(
                List.of(
                    Map.of(
                        "op", "replace",
                        "path", "/credentials",
                        "value", Map.of("apikey", "rotated-" + PASSWORD))))
            .patch("/service_providers/" + id)
            .then()
            .statusCode(200)
            .extract()
            .path("entity.credentials.secret_id");
    assertThat(replaced).isNotEqualTo(secret);
    assertThat(count("SELECT count(*) FROM secrets WHERE id = $1", secret)).isZero();
    assertThat(reveal(t.id(), replaced).path("apikey").asText()).isEqualTo("rotated-" + PASSWORD);

    // deleted with the resource
    t.api().delete("/service_providers/" + id).then().statusCode(204);
    assertThat(count("SELECT count(*) FROM secrets WHERE id = $1", replaced)).isZero();
  }

  @Test
  void aSecretIdMustNameOneOfTheTenantsOwnSecrets() {
    ApiFixture a = ApiFixture.newTenant();
    ApiFixture b = ApiFixture.newTenant();
    String theirs =
        a.api()
            .body(provider(Map.of("password", PASSWORD)))
            .post("/service_providers")
            .then()
            .statusCode(201)
            .extract()
            .path("entity.credentials.secret_id");
    for (String id : List.of(theirs, "no-such-secret")) {
      isError(
          b.api().body(provider(Map.of("secret_id", id))).post("/service_providers").then(),
          400,
          "invalid_request");
    }
    isError(
        b.api().body(provider("a string")).post("/service_providers").then(),
        400,
        "invalid_request");
    assertThat(
            b.api().get("/service_providers").then().extract().<List<?>>path("service_providers"))
        .isEmpty();
    assertThat(count("SELECT count(*) FROM secrets WHERE service_instance_id = $1", b.id()))
        .isZero();
  }

  @Test
  void databaseAndScoringCredentialsAreSealedToo() {
    ApiFixture t = ApiFixture.newTenant();
    t.api()
        .body(
            Map.of(
                "name",
                "mart",
                "database_configuration",
                Map.of("database_type", "postgresql", "credentials", Map.of("password", PASSWORD))))
        .post("/data_marts")
        .then()
        .statusCode(201)
        .body("entity.database_configuration.database_type", is("postgresql"))
        .body("entity.database_configuration.credentials.secret_id", not(is((String) null)));
    String subscription = t.creditRiskSubscription();
    String body =
        t.api()
            .contentType("application/json-patch+json")
            .body(
                List.of(
                    Map.of(
                        "op",
                        "add",
                        "path",
                        "/deployment/scoring_endpoint",
                        "value",
                        Map.of(
                            "url",
                            "http://127.0.0.1:9/score",
                            "credentials",
                            Map.of("token", PASSWORD)))))
            .patch("/subscriptions/" + subscription)
            .then()
            .statusCode(200)
            .body("entity.deployment.scoring_endpoint.url", is("http://127.0.0.1:9/score"))
            .extract()
            .asString();
    assertThat(body).doesNotContain(PASSWORD);
    assertThat(t.api().get("/data_marts").asString()).doesNotContain(PASSWORD);
  }

  @Test
  void anExportCarriesCredentialsSealedAndAnImportOpensThemForItsTenant() {
    ApiFixture a = ApiFixture.newTenant();
    String secret =
        a.api()
            .body(provider(Map.of("password", PASSWORD)))
            .post("/service_providers")
            .then()
            .statusCode(201)
            .extract()
            .path("entity.credentials.secret_id");
    String export =
        a.api().accept("application/x-ndjson").get("/export").then().extract().asString();
    assertThat(export).doesNotContain(PASSWORD).contains("\"type\":\"secret\"");

    ApiFixture b = ApiFixture.newTenant();
    b.api()
        .contentType("application/x-ndjson")
        .body(export)
        .post("/import")
        .then()
        .statusCode(201)
        .body("imported.secrets", is(1));
    String imported =
        b.api()
            .get("/service_providers")
            .then()
            .extract()
            .path("service_providers[0].entity.credentials.secret_id");
    assertThat(imported).isNotEqualTo(secret);
    assertThat(reveal(b.id(), imported).path("password").asText()).isEqualTo(PASSWORD);

    // credentials in clear inside an import are sealed on the way in, never stored as they are
    ApiFixture c = ApiFixture.newTenant();
    String clear =
        export
            .replaceAll("\\{\"type\":\"secret\"[^\\n]*\\n", "")
            .replace("{\"secret_id\":\"" + secret + "\"}", "{\"password\":\"" + PASSWORD + "\"}")
            .replace("\"secrets\":1,", "");
    c.api().contentType("application/x-ndjson").body(clear).post("/import").then().statusCode(201);
    assertThat(c.api().get("/service_providers").asString()).doesNotContain(PASSWORD);
    assertThat(count("SELECT count(*) FROM secrets WHERE service_instance_id = $1", c.id()))
        .isEqualTo(1);
  }

  private com.fasterxml.jackson.databind.node.ObjectNode reveal(String tenant, String secret) {
    return credentials.reveal(tenant, secret).await().atMost(Duration.ofSeconds(5));
  }

  private Row query(String sql, String arg) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(arg))
        .await()
        .atMost(Duration.ofSeconds(5))
        .iterator()
        .next();
  }

  private long count(String sql, String arg) {
    return query(sql, arg).getLong(0);
  }
}
