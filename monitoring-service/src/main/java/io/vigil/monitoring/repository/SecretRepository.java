package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Sealed credentials, one row per secret of a tenant; every method takes the client so callers can
 * join it to a transaction. Nothing here sees a credential in clear.
 */
@ApplicationScoped
public class SecretRepository {

  /** One sealed secret as stored. */
  public record Sealed(String id, String keyId, byte[] nonce, byte[] ciphertext) {}

  private final Pool pool;

  SecretRepository(Pool pool) {
    this.pool = pool;
  }

  /** Stores a sealed secret. */
  public Uni<Void> insert(SqlClient c, String tenant, Sealed s) {
    return c.preparedQuery(
            "INSERT INTO secrets (service_instance_id, id, key_id, nonce, ciphertext)"
                + " VALUES ($1, $2, $3, $4, $5)")
        .execute(
            Tuple.of(
                tenant, s.id(), s.keyId(), Buffer.buffer(s.nonce()), Buffer.buffer(s.ciphertext())))
        .replaceWithVoid();
  }

  /** A tenant's secret, or null. */
  public Uni<Sealed> get(SqlClient c, String tenant, String id) {
    return c.preparedQuery(
            "SELECT id, key_id, nonce, ciphertext FROM secrets"
                + " WHERE service_instance_id = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  /** Deletes secrets of a tenant. */
  public Uni<Void> delete(SqlClient c, String tenant, List<String> ids) {
    if (ids.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return c.preparedQuery(
            "DELETE FROM secrets WHERE service_instance_id = $1 AND id = ANY($2::text[])")
        .execute(Tuple.of(tenant, ids.toArray(String[]::new)))
        .replaceWithVoid();
  }

  /** Every secret of a tenant, sealed (for its export). */
  public Multi<Sealed> all(String tenant) {
    return pool.preparedQuery(
            "SELECT id, key_id, nonce, ciphertext FROM secrets WHERE service_instance_id = $1"
                + " ORDER BY created_at, id")
        .execute(Tuple.of(tenant))
        .onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .map(SecretRepository::read);
  }

  private static Sealed read(Row r) {
    return new Sealed(
        r.getString(0), r.getString(1), r.getBuffer(2).getBytes(), r.getBuffer(3).getBytes());
  }
}
