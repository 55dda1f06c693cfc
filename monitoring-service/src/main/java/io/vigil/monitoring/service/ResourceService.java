package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.SecretRepository;
import io.vigil.monitoring.repository.Sessions;
import io.vigil.monitoring.repository.StoredResource;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Create, read, patch and delete of the configuration resources, with their rules: entities are
 * checked, references must exist in the same tenant, a subscription brings its data sets, and
 * deleting a resource deletes what hangs off it. Each change runs in one transaction of a Hibernate
 * Reactive session ({@link Sessions}): the resources, their sealed credentials and the records a
 * deletion takes with it commit together.
 *
 * <p>Over 300 lines: the generic CRUD over every kind's entity document with its rules.
 */
@ApplicationScoped
public class ResourceService {

  /** Who acts for which tenant. */
  public record Tenant(String id, String principal) {}

  private static final List<String> SUBSCRIPTION_DATA_SETS =
      List.of("payload_logging", "feedback", "training");

  private final Sessions sessions;
  private final ResourceRepository repository;
  private final SecretRepository secrets;
  private final Credentials credentials;
  private final OutboundPolicy receivers;

  ResourceService(
      Sessions sessions,
      ResourceRepository repository,
      SecretRepository secrets,
      Credentials credentials,
      OutboundPolicy receivers) {
    this.sessions = sessions;
    this.repository = repository;
    this.secrets = secrets;
    this.credentials = credentials;
    this.receivers = receivers;
  }

  /** Creates a resource from a request entity. */
  public Uni<StoredResource> create(Tenant t, ResourceKind kind, ObjectNode entity) {
    List<EntityRules.Reference> refs = EntityRules.check(kind, entity, t.id());
    String id = newId(kind, entity, t);
    return receivers
        .checkEntity(kind, entity)
        .chain(
            () ->
                sessions.transaction(
                    c ->
                        checkReferences(c, t, refs)
                            .chain(() -> checkMonitorThresholds(c, t, kind, entity))
                            .chain(
                                () -> credentials.seal(secrets.in(c, t.id()), t.id(), kind, entity))
                            .chain(
                                () -> repository.insert(c, t.id(), kind, id, entity, t.principal()))
                            .call(created -> afterCreate(c, t, created))));
  }

  private String newId(ResourceKind kind, ObjectNode entity, Tenant t) {
    return switch (kind) {
      case DATA_MARTS -> t.id();
      case MONITOR_DEFINITIONS -> {
        String id =
            entity
                .path("name")
                .asText()
                .toLowerCase()
                .replaceAll("[^a-z0-9]+", "_")
                .replaceAll("^_|_$", "");
        if (id.isEmpty() || MonitorDefinitions.LISTED.containsKey(id)) {
          throw ApiException.conflict(
              "monitor definition name '"
                  + entity.path("name").asText()
                  + "' is taken by a built-in");
        }
        yield id;
      }
      default -> UUID.randomUUID().toString();
    };
  }

  private Uni<Void> afterCreate(Mutiny.Session c, Tenant t, StoredResource created) {
    if (created.kind() != ResourceKind.SUBSCRIPTIONS) {
      return Uni.createFrom().voidItem();
    }
    String assetName = created.entity().path("asset").path("name").asText(created.id());
    return Multi.createFrom()
        .iterable(SUBSCRIPTION_DATA_SETS)
        .onItem()
        .transformToUniAndConcatenate(
            type -> {
              ObjectNode ds = created.entity().objectNode();
              ds.put("data_mart_id", t.id());
              ds.put("name", assetName + " " + type.replace('_', ' '));
              ds.put("type", type);
              ds.set("data_schema", DataSchemas.of(created.entity(), type));
              ds.putObject("target")
                  .put("target_type", "subscription")
                  .put("target_id", created.id());
              return repository.insert(
                  c,
                  t.id(),
                  ResourceKind.DATA_SETS,
                  UUID.randomUUID().toString(),
                  ds,
                  t.principal());
            })
        .collect()
        .asList()
        .replaceWithVoid();
  }

  /** One resource; 404 when it does not exist for this tenant. */
  public Uni<StoredResource> get(Tenant t, ResourceKind kind, String id) {
    if (kind == ResourceKind.MONITOR_DEFINITIONS && MonitorDefinitions.LISTED.containsKey(id)) {
      return Uni.createFrom().item(builtIn(t, id));
    }
    return sessions.read(s -> existing(s, t, kind, id));
  }

  /** A resource that must exist for this tenant (404 otherwise). */
  private Uni<StoredResource> existing(Mutiny.Session c, Tenant t, ResourceKind kind, String id) {
    return repository
        .get(c, t.id(), kind, id)
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound(kind.singular(), id));
  }

  /** Resources of a kind that match the filters (query parameters the kind knows). */
  public Uni<List<StoredResource>> list(Tenant t, ResourceKind kind, Map<String, String> filters) {
    ObjectNode containment = io.vigil.commons.api.Json.MAPPER.createObjectNode();
    for (String f : kind.filters()) {
      String value = filters.get(f);
      if (value != null) {
        ObjectNode node = containment;
        String[] parts = f.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
          node = node.has(parts[i]) ? (ObjectNode) node.get(parts[i]) : node.putObject(parts[i]);
        }
        node.put(parts[parts.length - 1], value);
      }
    }
    return sessions
        .read(s -> repository.list(s, t.id(), kind, containment))
        .map(
            stored -> {
              if (kind != ResourceKind.MONITOR_DEFINITIONS) {
                return stored;
              }
              List<StoredResource> all = new ArrayList<>();
              MonitorDefinitions.LISTED.keySet().forEach(id -> all.add(builtIn(t, id)));
              all.addAll(stored);
              return all;
            });
  }

  /** Applies a JSON Patch to a resource's entity, checking the result like a new entity. */
  public Uni<StoredResource> patch(Tenant t, ResourceKind kind, String id, JsonNode patch) {
    refuseBuiltIn(kind, id);
    return sessions.transaction(
        c ->
            existing(c, t, kind, id)
                .chain(
                    current -> {
                      ObjectNode changed = JsonPatch.apply(current.entity(), patch);
                      return replace(c, t, kind, id, current, changed);
                    }));
  }

  /** Replaces a resource's entity (PUT). */
  public Uni<StoredResource> put(Tenant t, ResourceKind kind, String id, ObjectNode entity) {
    refuseBuiltIn(kind, id);
    return sessions.transaction(
        c -> existing(c, t, kind, id).chain(current -> replace(c, t, kind, id, current, entity)));
  }

  private Uni<StoredResource> replace(
      Mutiny.Session c,
      Tenant t,
      ResourceKind kind,
      String id,
      StoredResource current,
      ObjectNode changed) {
    List<EntityRules.Reference> refs = EntityRules.check(kind, changed, t.id());
    for (String immutable : List.of("data_mart_id", "target", "monitor_definition_id", "type")) {
      if (current.entity().has(immutable)
          && !current.entity().get(immutable).equals(changed.get(immutable))) {
        throw ApiException.badRequest(
            "'" + immutable + "' cannot change; create a new " + kind.singular());
      }
    }
    return receivers
        .checkEntity(kind, changed)
        .chain(() -> checkReferences(c, t, refs))
        .chain(() -> checkMonitorThresholds(c, t, kind, changed))
        .chain(() -> credentials.seal(secrets.in(c, t.id()), t.id(), kind, changed))
        .chain(() -> credentials.release(c, t.id(), kind, current.entity(), changed))
        .chain(() -> repository.update(c, t.id(), kind, id, changed, t.principal()));
  }

  /** Deletes a resource and what hangs off it. */
  public Uni<Void> delete(Tenant t, ResourceKind kind, String id) {
    refuseBuiltIn(kind, id);
    return sessions.transaction(
        c ->
            existing(c, t, kind, id)
                .call(existing -> cascade(c, t, existing))
                .call(existing -> credentials.release(c, t.id(), kind, existing.entity(), null))
                .chain(() -> repository.delete(c, t.id(), kind, id))
                .replaceWithVoid());
  }

  private Uni<Void> cascade(Mutiny.Session c, Tenant t, StoredResource r) {
    return switch (r.kind()) {
      case SUBSCRIPTIONS -> repository.deleteTargeting(c, t.id(), r.id());
      case DATA_SETS -> repository.deleteRecords(c, t.id(), r.id());
      case SERVICE_PROVIDERS ->
          repository
              .list(
                  c, t.id(), ResourceKind.SUBSCRIPTIONS, objectWith("service_provider_id", r.id()))
              .invoke(
                  subs -> {
                    if (!subs.isEmpty()) {
                      throw ApiException.conflict(
                          "service provider "
                              + r.id()
                              + " has "
                              + subs.size()
                              + " subscriptions; delete them first");
                    }
                  })
              .replaceWithVoid();
      default -> Uni.createFrom().voidItem();
    };
  }

  private static ObjectNode objectWith(String field, String value) {
    return io.vigil.commons.api.Json.MAPPER.createObjectNode().put(field, value);
  }

  private Uni<Void> checkReferences(Mutiny.Session c, Tenant t, List<EntityRules.Reference> refs) {
    return Multi.createFrom()
        .iterable(refs)
        .onItem()
        .transformToUniAndConcatenate(
            ref -> {
              if (ref.kind() == ResourceKind.MONITOR_DEFINITIONS
                  && MonitorDefinitions.BUILT_IN.containsKey(ref.id())) {
                return Uni.createFrom().voidItem();
              }
              return repository
                  .get(c, t.id(), ref.kind(), ref.id())
                  .onItem()
                  .ifNull()
                  .failWith(
                      () ->
                          ApiException.badRequest(
                              "'"
                                  + ref.field()
                                  + "' names "
                                  + ref.kind().singular()
                                  + " '"
                                  + ref.id()
                                  + "', which does not exist"))
                  .replaceWithVoid();
            })
        .collect()
        .last()
        .replaceWithVoid();
  }

  private Uni<Void> checkMonitorThresholds(
      Mutiny.Session c, Tenant t, ResourceKind kind, ObjectNode entity) {
    if (kind != ResourceKind.MONITOR_INSTANCES || !entity.has("thresholds")) {
      return Uni.createFrom().voidItem();
    }
    String definition = entity.path("monitor_definition_id").asText();
    Uni<ObjectNode> def =
        MonitorDefinitions.BUILT_IN.containsKey(definition)
            ? Uni.createFrom().item(MonitorDefinitions.BUILT_IN.get(definition))
            : repository
                .get(c, t.id(), ResourceKind.MONITOR_DEFINITIONS, definition)
                .map(StoredResource::entity);
    return def.invoke(
            d -> {
              Set<String> known = MonitorDefinitions.metricIds(d);
              for (JsonNode th : entity.get("thresholds")) {
                if (!known.contains(th.path("metric_id").asText())) {
                  throw ApiException.badRequest(
                      "threshold metric '"
                          + th.path("metric_id").asText()
                          + "' is not a metric of "
                          + definition
                          + " "
                          + known);
                }
              }
            })
        .replaceWithVoid();
  }

  private static void refuseBuiltIn(ResourceKind kind, String id) {
    if (kind == ResourceKind.MONITOR_DEFINITIONS && MonitorDefinitions.LISTED.containsKey(id)) {
      throw ApiException.conflict(
          "'" + id + "' is a built-in monitor definition and cannot change");
    }
  }

  private static StoredResource builtIn(Tenant t, String id) {
    return new StoredResource(
        t.id(),
        ResourceKind.MONITOR_DEFINITIONS,
        id,
        MonitorDefinitions.LISTED.get(id).deepCopy(),
        "1970-01-01T00:00:00.000Z",
        "system",
        "1970-01-01T00:00:00.000Z",
        "system");
  }
}
