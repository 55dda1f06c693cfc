package io.vigil.process;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EtcdClusterTest {

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** A jetcd client acting as {@code user}. */
  static Client client(List<String> endpoints, EtcdCluster.User user) {
    return Client.builder()
        .endpoints(endpoints.toArray(String[]::new))
        .user(bytes(user.name()))
        .password(bytes(user.password()))
        .build();
  }

  private static String get(Client client, String key) throws Exception {
    var kvs = client.getKVClient().get(bytes(key)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
  }

  @Test
  void singleMemberStoresWatchesAndExpiresLeases() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(Workspace.forTests(), "etcd-single", 1);
        Client client = client(etcd.endpoints(), etcd.root())) {
      String prefix = "/test/" + UUID.randomUUID() + "/";

      List<String> seen = new CopyOnWriteArrayList<>();
      // the watch starts after the current revision: a put made before the watch is registered
      // on the server (slow under load) is still delivered
      long revision =
          client
              .getKVClient()
              .get(bytes(prefix))
              .get(5, TimeUnit.SECONDS)
              .getHeader()
              .getRevision();
      try (Watch.Watcher watcher =
          client
              .getWatchClient()
              .watch(
                  bytes(prefix),
                  WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
                  response ->
                      response.getEvents().stream()
                          .filter(e -> e.getEventType() == WatchEvent.EventType.PUT)
                          .forEach(
                              e ->
                                  seen.add(
                                      e.getKeyValue()
                                          .getKey()
                                          .toString(StandardCharsets.UTF_8))))) {
        client.getKVClient().put(bytes(prefix + "a"), bytes("1")).get(5, TimeUnit.SECONDS);
        assertThat(get(client, prefix + "a")).isEqualTo("1");
        await()
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(() -> assertThat(seen).contains(prefix + "a"));
      }

      long lease = client.getLeaseClient().grant(1).get(5, TimeUnit.SECONDS).getID();
      client
          .getKVClient()
          .put(bytes(prefix + "leased"), bytes("x"), PutOption.builder().withLeaseId(lease).build())
          .get(5, TimeUnit.SECONDS);
      assertThat(get(client, prefix + "leased")).isEqualTo("x");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(get(client, prefix + "leased")).isNull());
    }
  }

  @Test
  void threeMemberClusterKeepsServingWhenOneMemberIsKilled() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(Workspace.forTests(), "etcd-trio", 3);
        Client client = client(etcd.endpoints(), etcd.root())) {
      client.getKVClient().put(bytes("/test/before"), bytes("1")).get(5, TimeUnit.SECONDS);

      etcd.kill(0);
      assertThat(etcd.members().get(0).process()).isNull();

      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                client.getKVClient().put(bytes("/test/after"), bytes("2")).get(3, TimeUnit.SECONDS);
                assertThat(get(client, "/test/after")).isEqualTo("2");
              });
      assertThat(get(client, "/test/before")).isEqualTo("1");

      etcd.restart(0);
      try (Client first = client(etcd.endpoints().subList(0, 1), etcd.root())) {
        await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .untilAsserted(() -> assertThat(get(first, "/test/after")).isEqualTo("2"));
      }
    }
  }

  @Test
  void anonymousClientsAreRefusedAndEachUserReachesOnlyItsKeys() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(Workspace.forTests(), "etcd-auth", 1);
        Client anonymous = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
      var users = EtcdRoles.addServiceUsers(etcd, "us-south", Optional.of("/service/pg/"));
      String zoneKey = "/vigil/regions/us-south/zones/zone-a/instances/monitoring-service/x";

      assertThatThrownBy(
              () -> anonymous.getKVClient().put(bytes(zoneKey), bytes("fake")).get(5, SECONDS))
          .hasMessageContaining("user name is empty");
      assertThatThrownBy(() -> get(anonymous, "/service/pg/leader"))
          .hasMessageContaining("user name is empty");

      try (Client router = client(etcd.endpoints(), users.get(EtcdRoles.ROUTER));
          Client monitoring = client(etcd.endpoints(), users.get(EtcdRoles.MONITORING));
          Client backup = client(etcd.endpoints(), users.get(EtcdRoles.BACKUP))) {
        monitoring.getKVClient().put(bytes(zoneKey), bytes("real")).get(5, SECONDS);
        assertThat(get(router, zoneKey)).isEqualTo("real");
        assertThat(get(monitoring, "/service/pg/leader")).isNull();
        // the backup leader's keys and Patroni's are out of the router's reach
        assertThatThrownBy(
                () ->
                    router
                        .getKVClient()
                        .put(bytes("/vigil/backups/us-south/running"), bytes("x"))
                        .get(5, SECONDS))
            .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> get(router, "/service/pg/leader"))
            .hasMessageContaining("permission denied");
        assertThatThrownBy(
                () ->
                    monitoring
                        .getKVClient()
                        .put(bytes("/service/pg/leader"), bytes("evil"))
                        .get(5, SECONDS))
            .hasMessageContaining("permission denied");
        // another region's registrations are out of reach too
        assertThatThrownBy(
                () ->
                    monitoring
                        .getKVClient()
                        .put(bytes("/vigil/regions/us-east/zones/zone-a/x"), bytes("x"))
                        .get(5, SECONDS))
            .hasMessageContaining("permission denied");
        backup
            .getKVClient()
            .put(bytes("/vigil/backups/us-south/running"), bytes("etcd"))
            .get(5, SECONDS);
        assertThat(get(monitoring, "/vigil/backups/us-south/running")).isEqualTo("etcd");
      }
      assertThat(etcd.asRoot(Duration.ofSeconds(10), "get", zoneKey, "--print-value-only").run(""))
          .contains("real");
      assertThat(etcd.asRoot(Duration.ofSeconds(10), "user", "list").run(""))
          .contains("root", EtcdRoles.ROUTER, EtcdRoles.MONITORING, EtcdRoles.BACKUP);
    }
  }
}
