package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

/**
 * Service instances (tenants) and their hashed API keys, through Hibernate Reactive ({@link
 * ServiceInstanceEntity}, {@link ApiKeyEntity}; {@link Sessions}).
 */
@ApplicationScoped
public class TenantRepository {

  /** A service instance. */
  public record ServiceInstance(String id, String name, String createdAt) {}

  /** What an API key belongs to. */
  public record KeyOwner(String serviceInstanceId, String keyName) {}

  private final Sessions sessions;

  TenantRepository(Sessions sessions) {
    this.sessions = sessions;
  }

  /** Creates a service instance with its first key, in one transaction. */
  public Uni<ServiceInstance> create(String id, String name, byte[] keyHash, String keyName) {
    ServiceInstanceEntity instance = new ServiceInstanceEntity();
    instance.id = id;
    instance.name = name;
    instance.createdAt = Sessions.now();
    return sessions.transaction(
        s ->
            s.persist(instance)
                .chain(() -> s.persist(key(id, keyHash, keyName)))
                .chain(s::flush)
                .map(ignored -> view(instance)));
  }

  /** Adds a key to an instance; answers false when the instance does not exist. */
  public Uni<Boolean> addKey(String id, byte[] keyHash, String keyName) {
    // the instance is read FOR SHARE: a deletion meanwhile waits for this key's commit
    return sessions.transaction(
        s ->
            s.find(ServiceInstanceEntity.class, id, LockModeType.PESSIMISTIC_READ)
                .chain(
                    instance ->
                        instance == null
                            ? Uni.createFrom().item(false)
                            : s.persist(key(id, keyHash, keyName)).map(ignored -> true)));
  }

  /** Every service instance, oldest first. */
  public Uni<List<ServiceInstance>> list() {
    return sessions.read(
        s ->
            s.createSelectionQuery(
                    "from ServiceInstanceEntity order by createdAt, id",
                    ServiceInstanceEntity.class)
                .getResultList()
                .map(all -> all.stream().map(TenantRepository::view).toList()));
  }

  /**
   * Deletes an instance and everything it owns, in one transaction; answers whether it existed. Its
   * records and their keys go first, by native statements in the same session (record_keys has no
   * foreign key to cascade along); the database cascades the instance's deletion to the rest.
   */
  public Uni<Boolean> delete(String id) {
    return sessions.transaction(
        s ->
            s.createNativeQuery(
                    RecordRepository.deletion(
                        "SELECT id FROM resources WHERE service_instance_id = ?1"
                            + " AND kind = 'data_sets'"))
                .setParameter(1, id)
                .executeUpdate()
                .chain(
                    () ->
                        s.createNativeQuery("DELETE FROM records WHERE service_instance_id = ?1")
                            .setParameter(1, id)
                            .executeUpdate())
                .chain(
                    () ->
                        s.createMutationQuery("delete from ServiceInstanceEntity where id = :id")
                            .setParameter("id", id)
                            .executeUpdate())
                .map(deleted -> deleted == 1));
  }

  /**
   * Who owns a key, or null: one primary-key lookup (every API request asks, so a deleted key or
   * instance is refused at once in every zone).
   */
  public Uni<KeyOwner> owner(byte[] keyHash) {
    return sessions.lookup(
        s ->
            s.get(ApiKeyEntity.class, keyHash)
                .map(k -> k == null ? null : new KeyOwner(k.serviceInstanceId, k.name)));
  }

  private static ApiKeyEntity key(String instance, byte[] keyHash, String keyName) {
    ApiKeyEntity key = new ApiKeyEntity();
    key.keyHash = keyHash;
    key.serviceInstanceId = instance;
    key.name = keyName;
    key.createdAt = Sessions.now();
    return key;
  }

  private static ServiceInstance view(ServiceInstanceEntity e) {
    return new ServiceInstance(e.id, e.name, e.createdAt.toInstant().toString());
  }
}
