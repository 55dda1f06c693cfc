package io.vigil.k8s;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.vigil.process.Commands;
import io.vigil.process.EtcdCluster;
import io.vigil.process.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The script of the {@code vigil-etcd-auth} Job, run as the Job runs it against a real etcd: it
 * turns authentication on with Vigil's users and roles, runs again without harm, and sets a rotated
 * password.
 */
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
class EtcdAuthJobTest {

  private static final String ZONE_KEY =
      "/vigil/regions/us-south/zones/zone-a/instances/monitoring-service/m1";

  @Test
  void theJobTurnsOnAuthenticationWithEachServiceReachingOnlyItsKeys() throws Exception {
    Path script = Files.createTempFile("etcd-auth", ".sh");
    Files.writeString(script, script());
    try (EtcdCluster etcd = EtcdCluster.startWithoutAuth(Workspace.forTests(), "etcd-k8s", 1)) {
      Map<String, String> env = new HashMap<>();
      env.put("VIGIL_REGION_NAME", "us-south");
      env.put("VIGIL_REGION_ETCD_ENDPOINTS", etcd.endpointList());
      for (String user : List.of("ROOT", "ROUTER", "MONITORING", "BACKUP")) {
        env.put("ETCD_" + user + "_PASSWORD", UUID.randomUUID().toString());
      }
      String out = run(script, env);
      assertThat(out).contains("etcd authentication on");

      try (Client anonymous = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
        assertThatThrownBy(() -> put(anonymous, ZONE_KEY, "fake"))
            .hasMessageContaining("user name is empty");
      }
      try (Client router = client(etcd, "vigil-router", env.get("ETCD_ROUTER_PASSWORD"));
          Client monitoring =
              client(etcd, "vigil-monitoring", env.get("ETCD_MONITORING_PASSWORD"));
          Client backup = client(etcd, "vigil-backup", env.get("ETCD_BACKUP_PASSWORD"))) {
        put(monitoring, ZONE_KEY, "{}");
        put(router, "/vigil/regions/us-south/zones/zone-b/admin-state", "DRAINING");
        put(backup, "/vigil/backups/us-south/running", "etcd");
        assertThat(get(monitoring, "/vigil/backups/us-south/running")).isEqualTo("etcd");
        assertThatThrownBy(() -> put(router, "/vigil/backups/us-south/running", "x"))
            .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> put(monitoring, "/vigil/regions/us-east/zones/zone-a/x", "x"))
            .hasMessageContaining("permission denied");
      }

      // a second run (auth on now) changes nothing but a rotated password
      String rotated = UUID.randomUUID().toString();
      String old = env.put("ETCD_ROUTER_PASSWORD", rotated);
      run(script, env);
      try (Client router = client(etcd, "vigil-router", rotated)) {
        assertThat(get(router, ZONE_KEY)).isEqualTo("{}");
      }
      try (Client stale = client(etcd, "vigil-router", old)) {
        assertThatThrownBy(() -> get(stale, ZONE_KEY))
            .rootCause()
            .hasMessageContaining("authentication failed");
      }
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /** The script as the ConfigMap holds it. */
  private static String script() throws Exception {
    Path file = Path.of("").toAbsolutePath();
    file =
        Files.isDirectory(file.resolve("base"))
            ? file.resolve("base/etcd/etcd-auth.yaml")
            : file.resolve("k8s/base/etcd/etcd-auth.yaml");
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    for (JsonNode doc :
        yaml.readerFor(JsonNode.class).readValues(Files.readString(file)).readAll().stream()
            .map(JsonNode.class::cast)
            .toList()) {
      if (doc.path("kind").asText().equals("ConfigMap")) {
        return doc.path("data").path("etcd-auth.sh").asText();
      }
    }
    throw new IllegalStateException("no ConfigMap in " + file);
  }

  private static String run(Path script, Map<String, String> env) {
    Commands.Result r =
        Commands.run(List.of("sh", script.toString()), env, "", Duration.ofMinutes(2));
    assertThat(r.exitCode()).as(r.output()).isZero();
    // no password appears in what the Job prints
    env.forEach(
        (k, v) -> {
          if (k.endsWith("_PASSWORD")) {
            assertThat(r.output()).doesNotContain(v);
          }
        });
    return r.output();
  }

  private static Client client(EtcdCluster etcd, String user, String password) {
    return Client.builder()
        .endpoints(etcd.endpoints().toArray(String[]::new))
        .user(bytes(user))
        .password(bytes(password))
        .build();
  }

  private static void put(Client client, String key, String value) throws Exception {
    client.getKVClient().put(bytes(key), bytes(value)).get(5, SECONDS);
  }

  private static String get(Client client, String key) throws Exception {
    var kvs = client.getKVClient().get(bytes(key)).get(5, SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
