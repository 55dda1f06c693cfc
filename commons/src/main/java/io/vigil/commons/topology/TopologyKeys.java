package io.vigil.commons.topology;

/** The etcd key layout of DESIGN.md §2, in one place. */
public final class TopologyKeys {

  /** Root of every key Vigil writes. */
  public static final String ROOT = "/vigil";

  private TopologyKeys() {}

  /** {@code /vigil/regions/{region}/}: everything of one region. */
  public static String region(String region) {
    return ROOT + "/regions/" + region + "/";
  }

  /** {@code /vigil/regions/{region}/role}: {@code primary} or {@code standby}. */
  public static String regionRole(String region) {
    return region(region) + "role";
  }

  /** {@code /vigil/regions/{region}/zones/{zone}/admin-state}. */
  public static String zoneAdminState(String region, String zone) {
    return region(region) + "zones/" + zone + "/admin-state";
  }

  /** Key of one instance's registration. */
  public static String instance(String region, String zone, String service, String instanceId) {
    return region(region) + "zones/" + zone + "/instances/" + service + "/" + instanceId;
  }

  /** Prefix under which every zone of a region registers its instances. */
  public static String zonesPrefix(String region) {
    return region(region) + "zones/";
  }

  /**
   * {@code /vigil/backups/{region}/running}: the target of the backup the leader is taking (no
   * lease: it outlives a leader that dies, so the next one re-runs that backup).
   */
  public static String backupRunning(String region) {
    return ROOT + "/backups/" + region + "/running";
  }

  /**
   * {@code /vigil/backups/{region}/newest/{target}}: the time of the target's newest durable
   * recovery point, written by the backup leader so every instance reports the same RPO exposure.
   */
  public static String backupNewest(String region, String target) {
    return ROOT + "/backups/" + region + "/newest/" + target;
  }

  /**
   * {@code /vigil/backups/{region}/standby-durable/postgres}: the newest {@link WalPosition} up to
   * which the region's WAL is verified in the other region's repository, with every segment before
   * it (written by the backup leader; a monitoring-service that acknowledges writes only once they
   * are there waits for it).
   */
  public static String standbyDurable(String region) {
    return ROOT + "/backups/" + region + "/standby-durable/postgres";
  }

  /** {@code /vigil/elections/backup/{region}}: the backup leader election. */
  public static String backupElection(String region) {
    return ROOT + "/elections/backup/" + region;
  }

  /**
   * Parses an instance key into its parts, or returns null when the key is not an instance key of
   * the given region.
   */
  public static InstanceKey parseInstance(String region, String key) {
    String prefix = zonesPrefix(region);
    if (!key.startsWith(prefix)) {
      return null;
    }
    String[] parts = key.substring(prefix.length()).split("/");
    if (parts.length != 4 || !parts[1].equals("instances")) {
      return null;
    }
    return new InstanceKey(parts[0], parts[2], parts[3]);
  }

  /**
   * The zone of an admin-state key ({@link #zoneAdminState}) of the given region, or null when the
   * key is not one.
   */
  public static String parseAdminState(String region, String key) {
    String prefix = zonesPrefix(region);
    String suffix = "/admin-state";
    if (!key.startsWith(prefix) || !key.endsWith(suffix)) {
      return null;
    }
    String zone = key.substring(prefix.length(), key.length() - suffix.length());
    return zone.isEmpty() || zone.contains("/") ? null : zone;
  }

  /** The parts of an instance key. */
  public record InstanceKey(String zone, String service, String instanceId) {}
}
