package io.vigil.router.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.security.Operator;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.proxy.TryTimeouts;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.router.service.RegionFailover;
import io.vigil.router.service.RegionView;
import io.vigil.router.service.ZoneAdmin;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The operator's view and control of routing: zones with their state, last transition, instances
 * and counters; drain, activate or disable a zone (stored in etcd, so every router replica of the
 * region agrees); the region failover state.
 */
@Operator
@Path("/routing")
@Produces(MediaType.APPLICATION_JSON)
public class RoutingResource {

  private static final Pattern ZONE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private final BackendPool pool;
  private final RegionFailover failover;
  private final ZoneAdmin admin;
  private final TryTimeouts timeouts;
  private final RegionConfig region;
  private final MeterRegistry metrics;
  private final ObjectMapper json;
  private final RegionView view;

  RoutingResource(
      BackendPool pool,
      RegionFailover failover,
      ZoneAdmin admin,
      TryTimeouts timeouts,
      RegionConfig region,
      MeterRegistry metrics,
      ObjectMapper json,
      RegionView view) {
    this.view = view;
    this.pool = pool;
    this.failover = failover;
    this.admin = admin;
    this.timeouts = timeouts;
    this.region = region;
    this.metrics = metrics;
    this.json = json;
  }

  @GET
  @Path("/zones")
  public ObjectNode zones() {
    ObjectNode out = json.createObjectNode();
    out.put("region", region.name());
    Duration perTry = timeouts.reads().perTryTimeout();
    out.put("per_try_timeout_ms", perTry.toMillis());
    out.put("write_per_try_timeout_ms", timeouts.writes().perTryTimeout().toMillis());
    ObjectNode regionState = out.putObject("failover");
    regionState.put("serving", failover.onStandby() ? "standby" : "primary");
    regionState.put("reason", failover.reason());
    regionState.put("since", failover.since().toString());
    ArrayNode standby = regionState.putArray("standby_routers");
    for (Backend b : failover.routers()) {
      standby
          .addObject()
          .put("url", "http://" + b.host() + ":" + b.port())
          .put("healthy", b.healthy())
          .put("reason", b.reason());
    }
    ArrayNode transitions = out.putArray("transitions");
    pool.transitions()
        .forEach(
            t ->
                transitions
                    .addObject()
                    .put("zone", t.zone())
                    .put("from", t.from())
                    .put("to", t.to())
                    .put("reason", t.reason())
                    .put("at", t.at().toString()));
    ArrayNode zones = out.putArray("zones");
    pool.zones()
        .values()
        .forEach(
            z -> {
              ObjectNode zone = zones.addObject();
              zone.put("zone", z.name());
              zone.put("state", z.state());
              zone.putObject("last_transition")
                  .put("to", z.state())
                  .put("reason", z.reason())
                  .put("at", z.since().toString());
              zone.putObject("counters")
                  .put("requests", sum("vigil.router.requests", z.name()))
                  .put("retries", sum("vigil.router.retries", z.name()))
                  .put("ejections", sum("vigil.router.ejections", z.name()));
              ArrayNode instances = zone.putArray("instances");
              for (Backend b : pool.all()) {
                if (b.zone().equals(z.name())) {
                  instances
                      .addObject()
                      .put("id", b.id())
                      .put("url", "http://" + b.host() + ":" + b.port())
                      .put("healthy", b.healthy())
                      .put("reason", b.reason())
                      .put("since", b.since().toString())
                      .put("outstanding", b.outstanding());
                }
              }
            });
    return out;
  }

  /**
   * The console's region view: the zones as above, and every registered instance, the PostgreSQL
   * cluster, the backups with their RPO and etcd's members (the services asked with the caller's
   * own key).
   */
  @GET
  @Path("/region")
  public Uni<ObjectNode> region(@HeaderParam("Authorization") String authorization) {
    ObjectNode zones = zones();
    return view.view(authorization)
        .map(
            extra -> {
              zones.setAll(extra);
              return zones;
            });
  }

  /** New traffic leaves the zone; it serves only when no other zone can. */
  @POST
  @Path("/zones/{zone}/drain")
  public Uni<ObjectNode> drain(@PathParam("zone") String zone) {
    return set(zone, BackendPool.DRAINING);
  }

  /** The zone takes traffic again, ramping up over the slow-start time. */
  @POST
  @Path("/zones/{zone}/activate")
  public Uni<ObjectNode> activate(@PathParam("zone") String zone) {
    return set(zone, BackendPool.ACTIVE);
  }

  /** The zone takes no traffic at all. */
  @POST
  @Path("/zones/{zone}/disable")
  public Uni<ObjectNode> disable(@PathParam("zone") String zone) {
    return set(zone, BackendPool.DISABLED);
  }

  private Uni<ObjectNode> set(String zone, String state) {
    if (!ZONE.matcher(zone).matches()) {
      throw new ApiException(400, "invalid_zone", "zone name '" + zone + "' is not a DNS label");
    }
    Map<String, BackendPool.Zone> known = pool.zones();
    if (!known.containsKey(zone)) {
      throw new ApiException(
          404, "zone_not_found", "zone '" + zone + "' has no instance and no admin state");
    }
    return admin.set(zone, state).map(v -> zones());
  }

  private double sum(String name, String zone) {
    return metrics.find(name).tag("zone", zone).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
