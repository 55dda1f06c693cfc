package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.pgclient.PgConnectOptions;
import io.vigil.commons.api.Json;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.commons.security.Operator;
import io.vigil.monitoring.repository.PrimaryLocator;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /admin/v1/database} (operator): the PostgreSQL cluster as this instance sees it — the
 * primary it writes to, Patroni's members with their roles and states, and the synchronous standby
 * — for the console's region view.
 */
@Operator
@Path("/admin/v1/database")
@Produces(MediaType.APPLICATION_JSON)
public class DatabaseResource {

  private final PrimaryLocator primary;

  DatabaseResource(PrimaryLocator primary) {
    this.primary = primary;
  }

  @GET
  public ObjectNode database() {
    ObjectNode out = Json.MAPPER.createObjectNode();
    primary
        .scope()
        .ifPresentOrElse(s -> out.put("patroni_scope", s), () -> out.putNull("patroni_scope"));
    PgConnectOptions current = primary.current();
    ObjectNode p = out.putObject("primary");
    if (current != null) {
      p.put("host", current.getHost()).put("port", current.getPort());
    }
    if (primary.leader() != null) {
      p.put("member", primary.leader());
    }
    PrimaryLocator.Cluster cluster = primary.cluster();
    cluster
        .synchronousStandby()
        .ifPresentOrElse(
            s -> out.put("synchronous_standby", s), () -> out.putNull("synchronous_standby"));
    ArrayNode members = out.putArray("members");
    for (PatroniLeader.Member m : cluster.members()) {
      members
          .addObject()
          .put("name", m.name())
          .put("host", m.host())
          .put("port", m.port())
          .put("role", m.role())
          .put("state", m.state())
          .put("leader", m.name().equals(primary.leader()))
          .put("synchronous", cluster.synchronousStandby().map(m.name()::equals).orElse(false));
    }
    return out;
  }
}
