package io.vigil.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.TlsFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The region's traffic over TLS: the router serves HTTPS only (Quarkus' TLS registry, a private
 * authority's certificate), and forwards to instances that serve HTTPS only, verifying their
 * certificates against the same authority.
 */
@QuarkusTest
@TestProfile(RouterTlsTest.Tls.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterTlsTest {

  /** HTTPS only, with the test authority's certificate; instances trusted by the same one. */
  public static class Tls implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return TlsFixture.httpsOnly();
    }
  }

  @Test
  void clientToRouterToInstanceIsTlsAllTheWay() throws Exception {
    int https = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(TlsFixture.trusting())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    try (ZoneBackends backends =
        ZoneBackends.startTls(
            EtcdResource.current().endpoints(), "us-south", TlsFixture.CERTS, "zone-a", "zone-b")) {
      URI api = URI.create("https://127.0.0.1:" + https + "/openscale/t1/v2/data_marts");
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () ->
                  client
                          .send(
                              HttpRequest.newBuilder(api).build(),
                              HttpResponse.BodyHandlers.ofString())
                          .statusCode()
                      == 200);
      HttpResponse<String> r =
          client.send(HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body())
          .contains("\"tls\":true")
          .contains("\"path\":\"/openscale/t1/v2/data_marts\"");
      assertThat(backends.received).isNotEmpty();

      // a client that does not trust the authority gets no answer
      HttpClient stranger = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThatThrownBy(
              () ->
                  stranger.send(
                      HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString()))
          .hasMessageContaining("PKIX");
    }
  }
}
