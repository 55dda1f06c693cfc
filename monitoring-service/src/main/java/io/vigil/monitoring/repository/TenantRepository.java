package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Service instances (tenants) and their hashed API keys. */
@ApplicationScoped
public class TenantRepository {

  /** A service instance. */
  public record ServiceInstance(String id, String name, String createdAt) {}

  /** What an API key belongs to. */
  public record KeyOwner(String serviceInstanceId, String keyName) {}

  private final Pool pool;

  TenantRepository(Pool pool) {
    this.pool = pool;
  }

  /** Creates a service instance with its first key, in one transaction. */
  public Uni<ServiceInstance> create(String id, String name, byte[] keyHash, String keyName) {
    return pool.withTransaction(
        c ->
            c.preparedQuery(
                    "INSERT INTO service_instances (id, name) VALUES ($1, $2) RETURNING created_at::text")
                .execute(Tuple.of(id, name))
                .flatMap(
                    rows ->
                        c.preparedQuery(
                                "INSERT INTO api_keys (key_hash, service_instance_id, name) VALUES ($1, $2, $3)")
                            .execute(
                                Tuple.of(io.vertx.core.buffer.Buffer.buffer(keyHash), id, keyName))
                            .map(
                                ignored ->
                                    new ServiceInstance(
                                        id, name, rows.iterator().next().getString(0)))));
  }

  /** Adds a key to an instance; answers false when the instance does not exist. */
  public Uni<Boolean> addKey(String id, byte[] keyHash, String keyName) {
    return pool.preparedQuery(
            "INSERT INTO api_keys (key_hash, service_instance_id, name) "
                + "SELECT $1, id, $3 FROM service_instances WHERE id = $2")
        .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(keyHash), id, keyName))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Every service instance. */
  public Uni<List<ServiceInstance>> list() {
    return pool.query(
            "SELECT id, name, created_at::text FROM service_instances ORDER BY created_at")
        .execute()
        .map(
            rows -> {
              List<ServiceInstance> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(new ServiceInstance(r.getString(0), r.getString(1), r.getString(2)));
              }
              return out;
            });
  }

  /** Deletes an instance and everything it owns; answers whether it existed. */
  public Uni<Boolean> delete(String id) {
    return pool.withTransaction(
        c ->
            RecordRepository.deleteOf(
                    c,
                    "SELECT id FROM resources WHERE service_instance_id = $1 AND kind = 'data_sets'",
                    Tuple.of(id))
                .chain(
                    () ->
                        c.preparedQuery("DELETE FROM records WHERE service_instance_id = $1")
                            .execute(Tuple.of(id)))
                .flatMap(
                    ignored ->
                        c.preparedQuery("DELETE FROM service_instances WHERE id = $1")
                            .execute(Tuple.of(id)))
                .map(rows -> rows.rowCount() == 1));
  }

  /** Who owns a key, or null. */
  public Uni<KeyOwner> owner(byte[] keyHash) {
    return pool.preparedQuery("SELECT service_instance_id, name FROM api_keys WHERE key_hash = $1")
        .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(keyHash)))
        .map(
            rows -> {
              var it = rows.iterator();
              if (!it.hasNext()) {
                return null;
              }
              Row r = it.next();
              return new KeyOwner(r.getString(0), r.getString(1));
            });
  }

  /** Whether an instance exists. */
  public Uni<Boolean> exists(String id) {
    return pool.preparedQuery("SELECT 1 FROM service_instances WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 1);
  }
}
