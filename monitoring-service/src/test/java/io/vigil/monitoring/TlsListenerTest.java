package io.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.TlsFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The monitoring API over TLS only (Quarkus' TLS registry): HTTPS answers with the API, a client
 * that does not trust the authority gets nothing, and the instance registers its {@code https} URL
 * for the router.
 */
@QuarkusTest
@TestProfile(TlsListenerTest.Tls.class)
class TlsListenerTest {

  /** HTTPS only with the test authority's certificate. */
  public static class Tls implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return TlsFixture.httpsOnly();
    }
  }

  @Test
  void theApiIsHttpsOnlyAndRegisteredAsSuch() throws Exception {
    int https = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    URI api = URI.create("https://127.0.0.1:" + https + "/openscale/x/v2/data_marts");
    HttpClient trusting =
        HttpClient.newBuilder()
            .sslContext(TlsFixture.trusting())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpResponse<String> r =
        trusting.send(HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("\"errors\"");
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.ofString()))
        .hasMessageContaining("PKIX");

    String prefix = "/vigil/regions/us-south/zones/zone-a/instances/monitoring-service/";
    try (Client etcd = EtcdResource.client()) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                var kvs =
                    etcd.getKVClient()
                        .get(
                            ByteSequence.from(prefix, StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).build())
                        .get(5, TimeUnit.SECONDS)
                        .getKvs();
                assertThat(kvs).isNotEmpty();
                assertThat(kvs.get(0).getValue().toString(StandardCharsets.UTF_8))
                    .contains("\"url\":\"https://127.0.0.1:" + https + "\"");
              });
    }
  }
}
