package io.vigil.commons.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The instances of one region as registered in etcd, grouped by zone.
 *
 * @param region region name
 * @param instances every parsed instance, with the key it was found under
 * @param adminStates zone → operator-set admin state ({@code active}, {@code draining}, {@code
 *     disabled}); zones without one are active
 */
public record RegionTopology(
    String region, List<Registered> instances, Map<String, String> adminStates) {

  private static final Logger LOG = Logger.getLogger(RegionTopology.class);

  /** One registered instance with the parts of its key. */
  public record Registered(TopologyKeys.InstanceKey key, InstanceRecord record) {}

  /**
   * Builds the topology from the key/value pairs under {@link TopologyKeys#zonesPrefix}; entries
   * that are neither instance keys nor admin states, or do not parse, are skipped.
   */
  public static RegionTopology parse(String region, Map<String, String> kvs, ObjectMapper json) {
    List<Registered> found = new ArrayList<>();
    Map<String, String> adminStates = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(kvs).entrySet()) {
      String zone = TopologyKeys.parseAdminState(region, e.getKey());
      if (zone != null) {
        adminStates.put(zone, e.getValue().trim());
        continue;
      }
      TopologyKeys.InstanceKey key = TopologyKeys.parseInstance(region, e.getKey());
      if (key == null) {
        continue;
      }
      try {
        found.add(new Registered(key, json.readValue(e.getValue(), InstanceRecord.class)));
      } catch (IOException ex) {
        LOG.debugf("skipping %s: not an instance record (%s)", e.getKey(), ex.getMessage());
      }
    }
    return new RegionTopology(region, List.copyOf(found), Map.copyOf(adminStates));
  }
}
