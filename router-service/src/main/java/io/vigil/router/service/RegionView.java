package io.vigil.router.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.topology.RegionTopology;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * What the console's region view shows besides the zones: every registered instance, the PostgreSQL
 * cluster (asked of a monitoring-service instance), the backups and RPO (asked of a backup-service
 * instance) and etcd's members. The services are asked with the caller's own operator key, each
 * instance in turn until one answers within a second.
 */
@ApplicationScoped
public class RegionView {

  private static final long ASK_TIMEOUT_MS = 1000;

  private final TopologyCache topology;
  private final EtcdGateway etcd;
  private final ObjectMapper json;
  private final HttpClient client;

  RegionView(
      TopologyCache topology, EtcdGateway etcd, ObjectMapper json, Vertx vertx, BackendTls tls) {
    this.topology = topology;
    this.etcd = etcd;
    this.json = json;
    this.client =
        vertx.createHttpClient(
            tls.apply(
                new HttpClientOptions()
                    .setConnectTimeout((int) ASK_TIMEOUT_MS)
                    .setMaxPoolSize(4)
                    .setKeepAlive(true)));
  }

  void onStop(@Observes ShutdownEvent event) {
    client.close();
  }

  /**
   * The instances, database, backups, restore drills and etcd members, asked with {@code
   * authorization}.
   */
  public Uni<ObjectNode> view(String authorization) {
    ObjectNode out = json.createObjectNode();
    RegionTopology t = topology.topology();
    if (t == null) {
      t = new RegionTopology("", List.of(), java.util.Map.of());
    }
    ArrayNode services = out.putArray("instances");
    t.instances()
        .forEach(
            r ->
                services
                    .addObject()
                    .put("service", r.key().service())
                    .put("zone", r.key().zone())
                    .put("id", r.key().instanceId())
                    .put("url", r.record().url())
                    .put("version", r.record().version())
                    .put(
                        "started_at",
                        r.record().startedAt() == null ? null : r.record().startedAt().toString()));
    Uni<JsonNode> database =
        ask(urls(t, "monitoring-service"), "/admin/v1/database", authorization);
    Uni<JsonNode> backups = leaderFirst(urls(t, "backup-service"), authorization);
    Uni<JsonNode> drills = ask(urls(t, "backup-service"), "/backups/drills", authorization);
    Uni<JsonNode> members =
        etcd.members()
            .map(
                list -> {
                  ArrayNode a = json.createArrayNode();
                  list.forEach(
                      m -> {
                        ObjectNode node =
                            a.addObject().put("name", m.name()).put("learner", m.learner());
                        m.clientUrls().forEach(node.putArray("client_urls")::add);
                      });
                  return (JsonNode) a;
                })
            .onFailure()
            .recoverWithItem(f -> error("etcd did not list its members: " + f.getMessage()));
    return Uni.combine()
        .all()
        .unis(database, backups, drills, members)
        .with(
            (db, b, d, e) -> {
              out.set("database", db);
              out.set("backups", b);
              out.set("drills", d);
              out.set("etcd_members", e);
              return out;
            });
  }

  private static List<String> urls(RegionTopology t, String service) {
    return t.instances().stream()
        .filter(r -> r.key().service().equals(service))
        .map(r -> r.record().url())
        .toList();
  }

  /**
   * The backup status as the backup leader reports it (only the leader streams WAL and runs the
   * schedule): every instance is asked, the leader's answer wins, else the first one's.
   */
  private Uni<JsonNode> leaderFirst(List<String> urls, String authorization) {
    if (urls.isEmpty()) {
      return Uni.createFrom().item(error("no instance registered"));
    }
    List<Uni<JsonNode>> asks =
        urls.stream()
            .map(
                u ->
                    once(u, "/backups/status", authorization)
                        .onFailure()
                        .recoverWithItem(f -> (JsonNode) error(f.getMessage())))
            .toList();
    return Uni.join()
        .all(asks)
        .andFailFast()
        .map(
            answers ->
                answers.stream()
                    .filter(a -> a.path("leader").asBoolean(false))
                    .findFirst()
                    .or(() -> answers.stream().filter(a -> !a.has("error")).findFirst())
                    .orElse(answers.get(0)));
  }

  /** GETs {@code path} of the first of {@code urls} that answers 200 within a second. */
  private Uni<JsonNode> ask(List<String> urls, String path, String authorization) {
    if (urls.isEmpty()) {
      return Uni.createFrom().item(error("no instance registered"));
    }
    return once(urls.get(0), path, authorization)
        .onFailure()
        .recoverWithUni(
            f ->
                urls.size() == 1
                    ? Uni.createFrom().item(error(f.getMessage()))
                    : ask(urls.subList(1, urls.size()), path, authorization));
  }

  private Uni<JsonNode> once(String url, String path, String authorization) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url + path)
            .setTimeout(ASK_TIMEOUT_MS)
            .putHeader("Accept", "application/json");
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    return Uni.createFrom()
        .completionStage(
            () ->
                client
                    .request(request)
                    .compose(req -> req.send())
                    .compose(
                        resp ->
                            resp.body()
                                .map(
                                    body -> {
                                      if (resp.statusCode() != 200) {
                                        throw new IllegalStateException(
                                            url + path + " answered " + resp.statusCode());
                                      }
                                      return body.toString();
                                    }))
                    .toCompletionStage())
        .map(
            body -> {
              try {
                return json.readTree(body);
              } catch (java.io.IOException e) {
                throw new IllegalStateException(url + path + " answered no JSON");
              }
            });
  }

  private ObjectNode error(String message) {
    return json.createObjectNode().put("error", message);
  }
}
