package io.vigil.commons.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.topology.RegionConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The one owner of the jetcd {@link Client} in a service: bridges its futures to {@link Uni}, and
 * closes it on shutdown. Absent etcd endpoints make it {@linkplain #enabled() disabled}.
 */
@ApplicationScoped
public class EtcdGateway {

  private static final Logger LOG = Logger.getLogger(EtcdGateway.class);

  private final Client client;
  private final Duration callTimeout;

  EtcdGateway(RegionConfig config) {
    this.callTimeout = config.etcd().callTimeout();
    List<String> endpoints = config.etcd().endpoints().orElse(List.of());
    this.client =
        endpoints.isEmpty()
            ? null
            : Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(callTimeout)
                .build();
    if (client == null) {
      LOG.info("No etcd endpoints configured: running without the etcd registry");
    }
  }

  /** Whether etcd endpoints are configured. */
  public boolean enabled() {
    return client != null;
  }

  /** Grants a lease with the given time to live and answers its id. */
  public Uni<Long> grantLease(Duration ttl) {
    return call(() -> client.getLeaseClient().grant(Math.max(1, ttl.toSeconds())))
        .map(r -> r.getID());
  }

  /**
   * Keeps a lease alive until the returned handle is closed; {@code onLost} runs once when the
   * lease can no longer be kept (expired, revoked, or etcd unreachable for too long).
   */
  public CloseableClient keepAlive(long leaseId, Consumer<Throwable> onLost) {
    return client
        .getLeaseClient()
        .keepAlive(
            leaseId,
            new StreamObserver<>() {
              @Override
              public void onNext(LeaseKeepAliveResponse value) {}

              @Override
              public void onError(Throwable t) {
                onLost.accept(t);
              }

              @Override
              public void onCompleted() {
                onLost.accept(new IllegalStateException("lease keep-alive completed"));
              }
            });
  }

  /** Revokes a lease, deleting every key attached to it. */
  public Uni<Void> revokeLease(long leaseId) {
    return call(() -> client.getLeaseClient().revoke(leaseId)).replaceWithVoid();
  }

  /** Puts a key, attached to a lease when {@code leaseId} is not 0. */
  public Uni<Void> put(String key, String value, long leaseId) {
    PutOption option =
        leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
    return call(() -> client.getKVClient().put(bytes(key), bytes(value), option)).replaceWithVoid();
  }

  /** Deletes a key. */
  public Uni<Void> delete(String key) {
    return call(() -> client.getKVClient().delete(bytes(key))).replaceWithVoid();
  }

  /** Reads every key under a prefix, as a map from key to value. */
  public Uni<Map<String, String>> getPrefix(String prefix) {
    return getPrefixAt(prefix).map(Snapshot::kvs);
  }

  /**
   * Every key under a prefix, as a map from key to value, and the store's revision the read saw.
   *
   * @param cluster the etcd cluster's id (a cluster restored from a snapshot has a new one, and
   *     revisions that may be lower than the old cluster's)
   * @param revision the etcd revision of the read (newer reads of one cluster have higher ones)
   * @param kvs key to value
   */
  public record Snapshot(long cluster, long revision, Map<String, String> kvs) {

    /**
     * Whether this read may replace {@code other} (null: none yet): it is of another cluster, or
     * not older.
     */
    public boolean supersedes(Snapshot other) {
      return other == null || cluster != other.cluster || revision >= other.revision;
    }
  }

  /**
   * Reads every key under a prefix with the revision it was read at: of two reads answered out of
   * order, the caller keeps the newer one.
   */
  public Uni<Snapshot> getPrefixAt(String prefix) {
    return call(() ->
            client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()))
        .map(
            r ->
                new Snapshot(
                    r.getHeader().getClusterId(),
                    r.getHeader().getRevision(),
                    r.getKvs().stream()
                        .collect(
                            Collectors.toMap(
                                (KeyValue kv) -> kv.getKey().toString(StandardCharsets.UTF_8),
                                kv -> kv.getValue().toString(StandardCharsets.UTF_8)))));
  }

  /** The underlying client, for the watch, election and maintenance APIs. */
  public Client client() {
    if (client == null) {
      throw new IllegalStateException("etcd is not configured (vigil.region.etcd.endpoints)");
    }
    return client;
  }

  private <T> Uni<T> call(Supplier<CompletableFuture<T>> call) {
    if (client == null) {
      return Uni.createFrom()
          .failure(
              new IllegalStateException("etcd is not configured (vigil.region.etcd.endpoints)"));
    }
    return Uni.createFrom().completionStage(call).ifNoItem().after(callTimeout).fail();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @PreDestroy
  void close() {
    if (client != null) {
      client.close();
    }
  }
}
