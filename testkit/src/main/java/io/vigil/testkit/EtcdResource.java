package io.vigil.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.EtcdCluster;
import io.vigil.process.Workspace;
import java.util.Map;

/**
 * A one-member etcd for a {@code @QuarkusTest}: sets {@code vigil.region.etcd.endpoints}. Tests
 * reach the cluster through {@link #current()}.
 */
public class EtcdResource implements QuarkusTestResourceLifecycleManager {

  private static volatile EtcdCluster current;
  private EtcdCluster etcd;

  @Override
  public Map<String, String> start() {
    etcd = EtcdCluster.start(Workspace.forTests(), "etcd", 1);
    current = etcd;
    return Map.of("vigil.region.etcd.endpoints", etcd.endpointList());
  }

  /** The etcd of the running test application. */
  public static EtcdCluster current() {
    return current;
  }

  @Override
  public void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }
}
