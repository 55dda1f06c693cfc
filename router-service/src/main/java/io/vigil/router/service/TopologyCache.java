package io.vigil.router.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.etcd.KeyWatch;
import io.vigil.commons.health.BackgroundProbe;
import io.vigil.commons.topology.InstanceRecord;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.RegionTopology;
import io.vigil.commons.topology.TopologyKeys;
import io.vigil.router.config.RouterConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The last topology of the region: read from etcd on every change (a watch) and at a fixed
 * interval, or built once from the static instance list. When etcd goes away the last topology
 * stays in force.
 */
@ApplicationScoped
public class TopologyCache {

  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final ObjectMapper json;
  private final Vertx vertx;
  private final KeyWatch watch;
  private volatile RegionTopology topology;

  TopologyCache(
      EtcdGateway etcd, RegionConfig region, RouterConfig config, ObjectMapper json, Vertx vertx) {
    this.etcd = etcd;
    this.region = region;
    this.json = json;
    this.vertx = vertx;
    String zones = TopologyKeys.zonesPrefix(region.name());
    // new and departed instances take effect at once; the periodic read covers a lost watch
    this.watch =
        new KeyWatch(
            etcd,
            "etcd-topology",
            zones,
            true,
            zones,
            config.topologyRefresh(),
            region.etcd().callTimeout(),
            this::apply);
    if (!etcd.enabled()) {
      topology = fromStatic(config.staticInstances().orElse(List.of()));
    }
  }

  void onStart(@Observes StartupEvent event) {
    if (etcd.enabled()) {
      watch.start(vertx);
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    watch.stop();
  }

  private String apply(EtcdGateway.Snapshot read) {
    topology = RegionTopology.parse(region.name(), read.kvs(), json);
    return topology.instances().size() + " instances registered";
  }

  private RegionTopology fromStatic(List<String> entries) {
    List<RegionTopology.Registered> found = new ArrayList<>();
    int n = 0;
    for (String entry : entries) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "vigil.router.static-instances entry '" + entry + "' is not zone=url[|management-url]");
      }
      String zone = entry.substring(0, eq).trim();
      Endpoint e = Endpoint.parse(entry.substring(eq + 1), "vigil.router.static-instances");
      String id = "static-" + (++n);
      found.add(
          new RegionTopology.Registered(
              new TopologyKeys.InstanceKey(zone, "monitoring-service", id),
              new InstanceRecord(
                  e.url().toString(),
                  "monitoring-service",
                  zone,
                  region.name(),
                  "static",
                  Instant.EPOCH,
                  e.check().toString(),
                  List.of())));
    }
    return new RegionTopology(region.name(), List.copyOf(found), java.util.Map.of());
  }

  /** Reads the topology from etcd now (after the router wrote to it). */
  public Uni<String> reload() {
    return etcd.enabled() ? watch.read() : Uni.createFrom().item("static topology");
  }

  /** Whether the topology comes from etcd (else from the static list). */
  public boolean fromEtcd() {
    return etcd.enabled();
  }

  /** The topology in force, or null when none has been loaded yet. */
  public RegionTopology topology() {
    return topology;
  }

  /** The state of the etcd reader (always down when etcd is not used). */
  public BackgroundProbe.Outcome etcdOutcome() {
    return watch.outcome();
  }
}
