package io.vigil.commons.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The one owner of the jetcd {@link Client} in a service: every etcd call of Vigil goes through it
 * (key-value, leases, watches, elections, snapshots), its futures bridged to {@link Uni} with the
 * configured call timeout; it closes the client on shutdown. Absent etcd endpoints make it
 * {@linkplain #enabled() disabled}. The client itself is never handed out.
 */
@ApplicationScoped
public class EtcdGateway {

  private static final Logger LOG = Logger.getLogger(EtcdGateway.class);

  private final Client client;
  private final Duration callTimeout;

  /** The gateway of this instance's region configuration (no endpoints: disabled). */
  @Inject
  public EtcdGateway(RegionConfig config) {
    this(
        config.etcd().endpoints().orElse(List.of()),
        config.etcd().user().map(u -> new Credentials(u, config.etcd().password().orElse(""))),
        config.etcd().callTimeout());
  }

  /** An etcd user and its password; {@link #toString} leaves the password out. */
  public record Credentials(String user, String password) {
    @Override
    public String toString() {
      return "Credentials[" + user + "]";
    }
  }

  /**
   * A gateway to {@code endpoints} (none: disabled).
   *
   * @param credentials the etcd user to act as (empty: anonymous)
   * @param callTimeout how long one etcd call may take
   */
  public EtcdGateway(
      List<String> endpoints, Optional<Credentials> credentials, Duration callTimeout) {
    this.callTimeout = callTimeout;
    if (endpoints.isEmpty()) {
      this.client = null;
      LOG.info("No etcd endpoints configured: running without the etcd registry");
    } else {
      ClientBuilder builder =
          Client.builder().endpoints(endpoints.toArray(String[]::new)).connectTimeout(callTimeout);
      credentials.ifPresent(c -> builder.user(bytes(c.user())).password(bytes(c.password())));
      this.client = builder.build();
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
  public KeepAlive keepAlive(long leaseId, Consumer<Throwable> onLost) {
    CloseableClient keeper =
        client()
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
    return keeper::close;
  }

  /** Keeps a lease alive until closed. */
  @FunctionalInterface
  public interface KeepAlive extends AutoCloseable {
    /** Stops keeping the lease alive (it then expires by itself, unless revoked first). */
    @Override
    void close();
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

  /** The store's revision now (the header of a read of the Vigil keys). */
  public Uni<Long> revision() {
    return call(() -> client.getKVClient().get(bytes(TopologyKeys.ROOT)))
        .map(r -> r.getHeader().getRevision());
  }

  /**
   * Watches a key, or every key under it when {@code prefix}; {@code onChange} runs on jetcd's
   * thread after every change (hop to your own thread before real work). A failed watch is logged;
   * callers re-read periodically ({@link KeyWatch} does both).
   *
   * @return closes the watch
   */
  public AutoCloseable watch(String key, boolean prefix, Runnable onChange) {
    Watch.Watcher watcher =
        client()
            .getWatchClient()
            .watch(
                bytes(key),
                prefix ? WatchOption.builder().isPrefix(true).build() : WatchOption.DEFAULT,
                response -> onChange.run(),
                error -> LOG.debugf("etcd watch of %s failed: %s", key, error.toString()));
    return watcher::close;
  }

  /** Streams a snapshot of the whole store into {@code out}. */
  public Uni<Void> snapshot(OutputStream out, Duration timeout) {
    return Uni.createFrom()
        .completionStage(() -> client().getMaintenanceClient().snapshot(out))
        .ifNoItem()
        .after(timeout)
        .fail()
        .replaceWithVoid();
  }

  /** A won campaign: resign it to hand the leadership over. */
  public record Leadership(LeaderKey key) {}

  /**
   * Campaigns for {@code election} with {@code value} under a lease; answers once this candidate
   * leads (which may take as long as another one does: no timeout).
   */
  public Uni<Leadership> campaign(String election, long leaseId, String value) {
    return Uni.createFrom()
        .completionStage(
            () -> client().getElectionClient().campaign(bytes(election), leaseId, bytes(value)))
        .map(r -> new Leadership(r.getLeader()));
  }

  /** Gives a won leadership up. */
  public Uni<Void> resign(Leadership leadership) {
    return call(() -> client.getElectionClient().resign(leadership.key())).replaceWithVoid();
  }

  /** The value the leader of {@code election} campaigned with; fails when there is none. */
  public Uni<String> leader(String election) {
    return call(() -> client.getElectionClient().leader(bytes(election)))
        .map(r -> r.getKv().getValue().toString(StandardCharsets.UTF_8));
  }

  /** An etcd member: name, client URLs, and whether it is a learner. */
  public record Member(String name, java.util.List<String> clientUrls, boolean learner) {}

  /** The cluster's members, as etcd lists them. */
  public Uni<java.util.List<Member>> members() {
    return call(() -> client.getClusterClient().listMember())
        .map(
            r ->
                r.getMembers().stream()
                    .map(
                        m ->
                            new Member(
                                m.getName(),
                                m.getClientURIs().stream().map(Object::toString).toList(),
                                m.isLearner()))
                    .toList());
  }

  private Client client() {
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
