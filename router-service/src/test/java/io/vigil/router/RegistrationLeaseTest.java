package io.vigil.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.commons.topology.InstanceRegistrar;
import io.vigil.testkit.EtcdResource;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registrar's lease: when it is gone (expired, revoked), the instance registers again. */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RegistrationLeaseTest {

  @Inject InstanceRegistrar registrar;

  private static List<KeyValue> read(Client etcd, String key) throws Exception {
    return etcd.getKVClient()
        .get(ByteSequence.from(key, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  @Test
  void aRegistrationWhoseLeaseIsGoneIsWrittenAgainUnderANewLease() throws Exception {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> registrar.state() == InstanceRegistrar.State.REGISTERED);
    try (Client etcd = EtcdResource.client()) {
      List<KeyValue> registered = read(etcd, registrar.key());
      assertThat(registered).hasSize(1);
      long lease = registered.get(0).getLease();
      assertThat(lease).isNotZero();

      etcd.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
      assertThat(read(etcd, registrar.key())).as("the key went with its lease").isEmpty();

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                List<KeyValue> again = read(etcd, registrar.key());
                assertThat(again).hasSize(1);
                assertThat(again.get(0).getLease()).isNotZero().isNotEqualTo(lease);
              });
      assertThat(registrar.state()).isEqualTo(InstanceRegistrar.State.REGISTERED);
    }
  }
}
