package io.vigil.router.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.router.service.Backend;
import io.vigil.router.service.BackendPool;
import io.vigil.topology.RegionConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The operator's view of routing: zones, their state and last transition, their instances. */
@Path("/routing/zones")
@Produces(MediaType.APPLICATION_JSON)
public class RoutingResource {

  private final BackendPool pool;
  private final RegionConfig region;
  private final ObjectMapper json;

  RoutingResource(BackendPool pool, RegionConfig region, ObjectMapper json) {
    this.pool = pool;
    this.region = region;
    this.json = json;
  }

  @GET
  public ObjectNode zones() {
    ObjectNode out = json.createObjectNode();
    out.put("region", region.name());
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
}
