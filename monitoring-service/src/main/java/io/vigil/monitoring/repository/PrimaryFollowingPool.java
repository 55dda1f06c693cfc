package io.vigil.monitoring.repository;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.TransactionPropagation;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The write pool: one Vert.x pool per PostgreSQL primary. When the primary changes, requests go to
 * a new pool connected to the new one and the previous pool is closed with every connection it
 * holds, in use or idle. Keeping those connections would be split brain: a former primary that
 * still runs (its Patroni died, PostgreSQL did not) accepts statements, and when Patroni comes back
 * and rewrites its configuration, commits that were waiting there for a synchronous standby are
 * released and acknowledged — then rewound away when it rejoins as a replica. Closed, such a
 * request fails and is retried against the new primary.
 *
 * <p>While the primary cannot be reached (a PostgreSQL failover: the leader is gone, the next one
 * not yet elected) requests go to the replicas Patroni lists: reads are served from them, writes
 * fail there as read-only and are answered 503 with {@code Retry-After}. {@link #probe} decides,
 * every readiness interval.
 */
final class PrimaryFollowingPool implements PgPool {

  private static final Logger LOG = Logger.getLogger(PrimaryFollowingPool.class);

  private final Vertx vertx;
  private final PoolOptions options;
  private volatile Handler<SqlConnection> connectHandler;
  private volatile Pool current;
  private volatile PgConnectOptions target;
  private volatile boolean closed;
  private volatile boolean degraded;
  private final Pool replicas;
  private final java.util.function.Supplier<java.util.List<PgConnectOptions>> replicaOptions;
  private final java.util.concurrent.atomic.AtomicInteger nextReplica =
      new java.util.concurrent.atomic.AtomicInteger();

  PrimaryFollowingPool(
      Vertx vertx,
      PoolOptions options,
      PgConnectOptions primary,
      java.util.function.Supplier<java.util.List<PgConnectOptions>> replicaOptions) {
    this.vertx = vertx;
    this.options = options;
    this.target = primary;
    this.replicaOptions = replicaOptions;
    this.current = build(primary);
    this.replicas =
        PgBuilder.pool()
            .with(
                new PoolOptions(options)
                    .setShared(false)
                    .setMaxSize(Math.max(2, options.getMaxSize() / 2))
                    .setIdleTimeout(10)
                    .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS))
            .connectingTo(this::replica)
            .using(vertx)
            .build();
  }

  private Future<io.vertx.sqlclient.SqlConnectOptions> replica() {
    java.util.List<PgConnectOptions> all = replicaOptions.get();
    if (all.isEmpty()) {
      return Future.failedFuture("no PostgreSQL replica is listed");
    }
    return Future.succeededFuture(
        all.get(Math.floorMod(nextReplica.getAndIncrement(), all.size())));
  }

  /** The pool requests go to now: the primary's, or the replicas' while it cannot be reached. */
  private Pool pool() {
    return degraded ? replicas : current;
  }

  /**
   * Checks the primary within {@code timeoutMillis}: reached → requests go to it; not reached → to
   * the replicas, if one answers. Succeeds with what serves, fails when nothing does.
   */
  Future<String> probe(long timeoutMillis) {
    return within(current.query("SELECT pg_is_in_recovery()").execute(), timeoutMillis)
        .compose(
            rows -> {
              if (rows.iterator().next().getBoolean(0)) {
                return Future.failedFuture("the write pool reaches a standby, not the primary");
              }
              return Future.succeededFuture("write pool reaches the primary");
            })
        .map(
            ok -> {
              if (degraded) {
                LOG.infof("The primary %s:%d answers again", target.getHost(), target.getPort());
              }
              degraded = false;
              return ok;
            })
        .recover(
            primaryDown -> {
              if (replicaOptions.get().isEmpty()) {
                degraded = false;
                return Future.failedFuture(primaryDown);
              }
              if (!degraded) {
                LOG.warnf(
                    "The primary %s:%d cannot be reached (%s): reads go to the replicas, writes are"
                        + " refused until a primary answers",
                    target.getHost(), target.getPort(), primaryDown.getMessage());
              }
              degraded = true;
              return within(replicas.query("SELECT 1").execute(), timeoutMillis)
                  .map(
                      r ->
                          "primary unreachable ("
                              + primaryDown.getMessage()
                              + "): reads served by a replica, writes refused with 503");
            });
  }

  private <T> Future<T> within(Future<T> f, long millis) {
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(millis, id -> p.tryFail("no answer within " + millis + " ms"));
    f.onComplete(
        r -> {
          vertx.cancelTimer(timer);
          if (r.succeeded()) {
            p.tryComplete(r.result());
          } else {
            p.tryFail(r.cause());
          }
        });
    return p.future();
  }

  private Pool build(PgConnectOptions primary) {
    return PgBuilder.pool()
        .with(new PoolOptions(options).setShared(false))
        .connectingTo(new PgConnectOptions(primary))
        .using(vertx)
        .withConnectHandler(
            c -> {
              Handler<SqlConnection> h = connectHandler;
              if (h != null) {
                h.handle(c);
              } else {
                c.close();
              }
            })
        .build();
  }

  /** Directs new requests to {@code primary} and closes the connections to the previous one. */
  synchronized void follow(PgConnectOptions primary) {
    if (closed
        || (primary.getHost().equals(target.getHost()) && primary.getPort() == target.getPort())) {
      return;
    }
    Pool previous = current;
    String from = target.getHost() + ":" + target.getPort();
    target = primary;
    current = build(primary);
    degraded = false; // the new primary is tried first; the probe says otherwise if need be
    previous
        .close()
        .onComplete(
            r ->
                LOG.infof(
                    "Closed every connection to the former primary %s (%s)",
                    from, r.succeeded() ? "done" : r.cause()));
  }

  @Override
  public void getConnection(Handler<AsyncResult<SqlConnection>> handler) {
    pool().getConnection(handler);
  }

  @Override
  public Future<SqlConnection> getConnection() {
    return pool().getConnection();
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return pool().query(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return pool().preparedQuery(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions prepareOptions) {
    return pool().preparedQuery(sql, prepareOptions);
  }

  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> function) {
    return pool().withTransaction(function);
  }

  @Override
  public <T> void withTransaction(
      Function<SqlConnection, Future<T>> function, Handler<AsyncResult<T>> handler) {
    pool().withTransaction(function, handler);
  }

  @Override
  public <T> Future<T> withTransaction(
      TransactionPropagation propagation, Function<SqlConnection, Future<T>> function) {
    return pool().withTransaction(propagation, function);
  }

  @Override
  public <T> void withTransaction(
      TransactionPropagation propagation,
      Function<SqlConnection, Future<T>> function,
      Handler<AsyncResult<T>> handler) {
    pool().withTransaction(propagation, function, handler);
  }

  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    return pool().withConnection(function);
  }

  @Override
  public <T> void withConnection(
      Function<SqlConnection, Future<T>> function, Handler<AsyncResult<T>> handler) {
    pool().withConnection(function, handler);
  }

  @Override
  public PgPool connectHandler(Handler<SqlConnection> handler) {
    this.connectHandler = handler;
    return this;
  }

  @Override
  public PgPool connectionProvider(Function<Context, Future<SqlConnection>> provider) {
    throw new UnsupportedOperationException("the write pool chooses its connections itself");
  }

  @Override
  public int size() {
    return pool().size();
  }

  @Override
  public void close(Handler<AsyncResult<Void>> handler) {
    close().onComplete(handler);
  }

  @Override
  public synchronized Future<Void> close() {
    closed = true;
    replicas.close();
    return current.close();
  }
}
