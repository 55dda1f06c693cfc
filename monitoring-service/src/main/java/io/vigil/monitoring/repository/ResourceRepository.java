package io.vigil.monitoring.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.Json;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Configuration resources of every kind in one table, each an entity document, through Hibernate
 * Reactive ({@link ResourceEntity}). Methods that take a session join the caller's transaction
 * ({@link Sessions#transaction}); reads without one open a session of their own.
 */
@ApplicationScoped
public class ResourceRepository {

  /** The API's times: UTC, milliseconds. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** The columns of {@link ResourceEntity}, the document as text (for native queries). */
  private static final String COLUMNS =
      "service_instance_id, kind, id, entity::text AS entity, created_at, created_by, modified_at,"
          + " modified_by";

  private final Sessions sessions;

  ResourceRepository(Sessions sessions) {
    this.sessions = sessions;
  }

  /** Inserts a resource. */
  public Uni<StoredResource> insert(
      Mutiny.Session s,
      String tenant,
      ResourceKind kind,
      String id,
      ObjectNode entity,
      String who) {
    ResourceEntity e = new ResourceEntity();
    e.serviceInstanceId = tenant;
    e.kind = kind.path();
    e.id = id;
    e.entity = write(entity);
    e.createdAt = Sessions.now();
    e.createdBy = who;
    e.modifiedAt = e.createdAt;
    e.modifiedBy = who;
    // flushed at once: a resource that exists already is a conflict of this statement
    return s.persist(e).chain(s::flush).map(ignored -> stored(e));
  }

  /** Replaces a resource's entity; answers null when it does not exist. */
  public Uni<StoredResource> update(
      Mutiny.Session s,
      String tenant,
      ResourceKind kind,
      String id,
      ObjectNode entity,
      String who) {
    return find(s, tenant, kind, id)
        .chain(
            e -> {
              if (e == null) {
                return Uni.createFrom().nullItem();
              }
              e.entity = write(entity);
              e.modifiedAt = Sessions.now();
              e.modifiedBy = who;
              return s.flush().map(ignored -> stored(e));
            });
  }

  /** One resource, or null, read in a session of its own. */
  public Uni<StoredResource> get(String tenant, ResourceKind kind, String id) {
    return sessions.read(s -> get(s, tenant, kind, id));
  }

  /** Resources of a kind whose entity contains {@code filter}, read in a session of its own. */
  public Uni<List<StoredResource>> list(String tenant, ResourceKind kind, ObjectNode filter) {
    return sessions.read(s -> list(s, tenant, kind, filter));
  }

  /** One resource, or null. */
  public Uni<StoredResource> get(Mutiny.Session s, String tenant, ResourceKind kind, String id) {
    return find(s, tenant, kind, id).map(e -> e == null ? null : stored(e));
  }

  private static Uni<ResourceEntity> find(
      Mutiny.Session s, String tenant, ResourceKind kind, String id) {
    return s.find(ResourceEntity.class, new ResourceEntity.Key(tenant, kind.path(), id));
  }

  /**
   * Resources of a kind whose entity contains {@code filter}, oldest first: a native query, as
   * containment ({@code @>}, served by the GIN index) has no HQL form.
   */
  public Uni<List<StoredResource>> list(
      Mutiny.Session s, String tenant, ResourceKind kind, ObjectNode filter) {
    return s.createNativeQuery(
            "SELECT "
                + COLUMNS
                + " FROM resources WHERE service_instance_id = ?1 AND kind = ?2"
                + " AND entity @> cast(cast(?3 AS text) AS jsonb) ORDER BY created_at, id",
            ResourceEntity.class)
        .setParameter(1, tenant)
        .setParameter(2, kind.path())
        .setParameter(3, write(filter))
        .getResultList()
        .map(all -> all.stream().map(ResourceRepository::stored).toList());
  }

  /** Deletes a resource; answers whether it existed. */
  public Uni<Boolean> delete(Mutiny.Session s, String tenant, ResourceKind kind, String id) {
    return s.createMutationQuery(
            "delete from ResourceEntity where serviceInstanceId = :t and kind = :k and id = :id")
        .setParameter("t", tenant)
        .setParameter("k", kind.path())
        .setParameter("id", id)
        .executeUpdate()
        .map(n -> n == 1);
  }

  /**
   * Deletes what targets a subscription: its data sets with their records, and its monitor
   * instances (in the caller's transaction; records by native statements in the same session).
   */
  public Uni<Void> deleteTargeting(Mutiny.Session s, String tenant, String subscriptionId) {
    String target =
        write(
            Json.MAPPER
                .createObjectNode()
                .set(
                    "target",
                    Json.MAPPER
                        .createObjectNode()
                        .put("target_type", "subscription")
                        .put("target_id", subscriptionId)));
    return s.createNativeQuery(
            RecordRepository.deletion(
                "SELECT id FROM resources WHERE service_instance_id = ?1 AND kind = 'data_sets'"
                    + " AND entity @> cast(cast(?2 AS text) AS jsonb)"))
        .setParameter(1, tenant)
        .setParameter(2, target)
        .executeUpdate()
        .chain(
            () ->
                s.createNativeQuery(
                        "DELETE FROM resources WHERE service_instance_id = ?1"
                            + " AND kind IN ('data_sets', 'monitor_instances')"
                            + " AND entity @> cast(cast(?2 AS text) AS jsonb)")
                    .setParameter(1, tenant)
                    .setParameter(2, target)
                    .executeUpdate())
        .replaceWithVoid();
  }

  /** Deletes every record of a data set of the tenant (in the caller's transaction). */
  public Uni<Void> deleteRecords(Mutiny.Session s, String tenant, String dataSetId) {
    return s.createNativeQuery(
            RecordRepository.deletion(
                "SELECT cast(?2 AS text) WHERE EXISTS (SELECT 1 FROM resources"
                    + " WHERE service_instance_id = ?1 AND kind = 'data_sets' AND id = ?2)"))
        .setParameter(1, tenant)
        .setParameter(2, dataSetId)
        .executeUpdate()
        .replaceWithVoid();
  }

  private static StoredResource stored(ResourceEntity e) {
    try {
      return new StoredResource(
          e.serviceInstanceId,
          ResourceKind.ofPath(e.kind),
          e.id,
          (ObjectNode) Json.MAPPER.readTree(e.entity),
          TIME.format(e.createdAt),
          e.createdBy,
          TIME.format(e.modifiedAt),
          e.modifiedBy);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException("stored entity does not parse", x);
    }
  }

  private static String write(Object json) {
    try {
      return Json.MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }
}
