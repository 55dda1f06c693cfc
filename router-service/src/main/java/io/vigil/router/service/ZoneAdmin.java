package io.vigil.router.service;

import io.smallrye.mutiny.Uni;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * Operator changes of a zone's admin state: stored in etcd so that every router replica of the
 * region applies them (each reads them with the topology), then applied here at once. Without etcd
 * they hold for this router only.
 */
@ApplicationScoped
public class ZoneAdmin {

  private static final Logger LOG = Logger.getLogger(ZoneAdmin.class);

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

  /** The admin states that are not {@code active}, lower case; an unknown one counts as active. */
  static Map<String, String> normalized(Map<String, String> states) {
    Map<String, String> out = new TreeMap<>();
    states.forEach(
        (zone, state) -> {
          String s = state.toLowerCase(Locale.ROOT);
          if (s.equals(BackendPool.DRAINING) || s.equals(BackendPool.DISABLED)) {
            out.put(zone, s);
          } else if (!s.equals(BackendPool.ACTIVE)) {
            LOG.warnf("Zone %s has an unknown admin state '%s'; treated as active", zone, state);
          }
        });
    return Map.copyOf(out);
  }
}
