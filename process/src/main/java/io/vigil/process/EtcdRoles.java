package io.vigil.process;

import io.vigil.process.EtcdCluster.Grant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The etcd users of a Vigil region and the keys each may touch, after the key layout of DESIGN.md
 * §2 (written out here as prefixes: the deployment's side of {@code TopologyKeys}; {@code
 * k8s/base/etcd/etcd-auth.yaml} grants the same):
 *
 * <ul>
 *   <li>{@value #ROUTER}: reads and writes {@code /vigil/regions/<region>/zones/} (the instances it
 *       routes to, the zones' admin states it sets, its own registration);
 *   <li>{@value #MONITORING}: reads and writes the same prefix (its registration, under a lease),
 *       reads {@code /vigil/backups/} (where the backup leader records how far the WAL is safe in
 *       the other region) and Patroni's keys (the leader it writes to);
 *   <li>{@value #BACKUP}: etcd's root role, because etcd serves snapshots only to it; besides
 *       snapshots it keeps the backup election and {@code /vigil/backups/}.
 *   <li>{@code patroni-<scope>} ({@link PatroniCluster} adds it): reads and writes Patroni's own
 *       prefix ({@code <namespace><scope>/}).
 * </ul>
 *
 * Nobody else, and no anonymous client, may read or write anything.
 */
public final class EtcdRoles {

  /** The router-service's etcd user. */
  public static final String ROUTER = "vigil-router";

  /** The monitoring-service's etcd user. */
  public static final String MONITORING = "vigil-monitoring";

  /** The backup-service's etcd user. */
  public static final String BACKUP = "vigil-backup";

  /** The etcd namespace Vigil runs Patroni with. */
  public static final String PATRONI_NAMESPACE = "/service/";

  private EtcdRoles() {}

  /** The etcd user of a Vigil service, by its name ({@code router-service} …). */
  public static String userOf(String service) {
    return switch (service) {
      case "router-service" -> ROUTER;
      case "monitoring-service" -> MONITORING;
      case "backup-service" -> BACKUP;
      default -> throw new IllegalArgumentException("no etcd user for " + service);
    };
  }

  /**
   * Adds the users of Vigil's services in {@code region} to {@code etcd} and answers them by name;
   * the monitoring-service may read Patroni's keys under {@code patroniPrefix} ({@code
   * <namespace><scope>/}) when there is a Patroni cluster.
   */
  public static Map<String, EtcdCluster.User> addServiceUsers(
      EtcdCluster etcd, String region, Optional<String> patroniPrefix) {
    String zones = "/vigil/regions/" + region + "/zones/";
    Map<String, EtcdCluster.User> users = new LinkedHashMap<>();
    users.put(ROUTER, etcd.addUser(ROUTER, List.of(Grant.readWrite(zones))));
    List<Grant> monitoring =
        patroniPrefix
            .map(p -> List.of(Grant.readWrite(zones), Grant.read("/vigil/backups/"), Grant.read(p)))
            .orElse(List.of(Grant.readWrite(zones), Grant.read("/vigil/backups/")));
    users.put(MONITORING, etcd.addUser(MONITORING, monitoring));
    users.put(BACKUP, etcd.addUser(BACKUP, List.of()));
    return users;
  }

  /** Patroni's key prefix for a scope in the namespace Vigil runs it with, {@code /service/}. */
  public static String patroniPrefix(String scope) {
    return PATRONI_NAMESPACE + scope + "/";
  }
}
