package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Sealed credentials, one row per secret of a tenant, through Hibernate Reactive ({@link
 * SecretEntity}); every method takes the session so callers can join it to a transaction. A
 * tenant's import writes in a transaction of the Vert.x client with its records instead: {@link
 * Vault} is what sealing needs, in either transaction. Nothing here sees a credential in clear.
 */
@ApplicationScoped
public class SecretRepository {

  /** One sealed secret as stored. */
  public record Sealed(String id, String keyId, byte[] nonce, byte[] ciphertext) {}

  /** A tenant's secrets as sealing uses them, in the caller's transaction. */
  public interface Vault {

    /** Whether the tenant has this secret. */
    Uni<Boolean> has(String id);

    /** Stores a sealed secret. */
    Uni<Void> put(Sealed sealed);
  }

  /** The tenant's secrets in a Hibernate Reactive session (configuration changes). */
  public Vault in(Mutiny.Session s, String tenant) {
    return new Vault() {
      @Override
      public Uni<Boolean> has(String id) {
        return get(s, tenant, id).map(found -> found != null);
      }

      @Override
      public Uni<Void> put(Sealed sealed) {
        return insert(s, tenant, sealed);
      }
    };
  }

  /** The tenant's secrets in a transaction of the Vert.x client (an import, with its records). */
  public Vault in(SqlClient c, String tenant) {
    return new Vault() {
      @Override
      public Uni<Boolean> has(String id) {
        return c.preparedQuery("SELECT 1 FROM secrets WHERE service_instance_id = $1 AND id = $2")
            .execute(Tuple.of(tenant, id))
            .map(rows -> rows.size() == 1);
      }

      @Override
      public Uni<Void> put(Sealed sealed) {
        return c.preparedQuery(
                "INSERT INTO secrets (service_instance_id, id, key_id, nonce, ciphertext)"
                    + " VALUES ($1, $2, $3, $4, $5)")
            .execute(
                Tuple.of(
                    tenant,
                    sealed.id(),
                    sealed.keyId(),
                    Buffer.buffer(sealed.nonce()),
                    Buffer.buffer(sealed.ciphertext())))
            .replaceWithVoid();
      }
    };
  }

  private static Uni<Void> insert(Mutiny.Session s, String tenant, Sealed sealed) {
    SecretEntity e = new SecretEntity();
    e.serviceInstanceId = tenant;
    e.id = sealed.id();
    e.keyId = sealed.keyId();
    e.nonce = sealed.nonce();
    e.ciphertext = sealed.ciphertext();
    e.createdAt = Sessions.now();
    return s.persist(e);
  }

  /** A tenant's secret, or null. */
  public static Uni<Sealed> get(Mutiny.Session s, String tenant, String id) {
    return s.find(SecretEntity.class, new SecretEntity.Key(tenant, id))
        .map(e -> e == null ? null : sealed(e));
  }

  /** Deletes secrets of a tenant. */
  public Uni<Void> delete(Mutiny.Session s, String tenant, List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return s.createMutationQuery(
            "delete from SecretEntity where serviceInstanceId = :t and id in :ids")
        .setParameter("t", tenant)
        .setParameter("ids", ids)
        .executeUpdate()
        .replaceWithVoid();
  }

  /** Every secret of a tenant, sealed (for its export), oldest first. */
  public Uni<List<Sealed>> all(Mutiny.Session s, String tenant) {
    return s.createSelectionQuery(
            "from SecretEntity where serviceInstanceId = :t order by createdAt, id",
            SecretEntity.class)
        .setParameter("t", tenant)
        .getResultList()
        .map(all -> all.stream().map(SecretRepository::sealed).toList());
  }

  private static Sealed sealed(SecretEntity e) {
    return new Sealed(e.id, e.keyId, e.nonce, e.ciphertext);
  }
}
