package io.vigil.router.service;

import io.smallrye.mutiny.Uni;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Operator changes of a zone's admin state: stored in etcd so that every router replica of the
 * region applies them (each reads them with the topology), then applied here at once. Without etcd
 * they hold for this router only.
 */
@ApplicationScoped
public class ZoneAdmin {

  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final TopologyCache topology;
  private final BackendPool pool;

  ZoneAdmin(EtcdGateway etcd, RegionConfig region, TopologyCache topology, BackendPool pool) {
    this.etcd = etcd;
    this.region = region;
    this.topology = topology;
    this.pool = pool;
  }

  /** Sets {@code zone} to {@code state} ({@link BackendPool#ACTIVE}, DRAINING or DISABLED). */
  public Uni<Void> set(String zone, String state) {
    if (!etcd.enabled()) {
      pool.setAdminState(zone, state);
      return Uni.createFrom().voidItem();
    }
    return etcd.put(TopologyKeys.zoneAdminState(region.name(), zone), state, 0)
        .chain(topology::reload)
        .invoke(loaded -> pool.refresh())
        .replaceWithVoid();
  }
}
