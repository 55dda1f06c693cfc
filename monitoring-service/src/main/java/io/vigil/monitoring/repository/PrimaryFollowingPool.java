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
 */
final class PrimaryFollowingPool implements PgPool {

  private static final Logger LOG = Logger.getLogger(PrimaryFollowingPool.class);

  private final Vertx vertx;
  private final PoolOptions options;
  private volatile Handler<SqlConnection> connectHandler;
  private volatile Pool current;
  private volatile PgConnectOptions target;
  private volatile boolean closed;

  PrimaryFollowingPool(Vertx vertx, PoolOptions options, PgConnectOptions primary) {
    this.vertx = vertx;
    this.options = options;
    this.target = primary;
    this.current = build(primary);
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
    previous
        .close()
        .onComplete(
            r ->
                LOG.infof(
                    "Closed every connection to the former primary %s (%s)",
                    from, r.succeeded() ? "done" : r.cause()));
  }

  /** Where new requests go. */
  PgConnectOptions target() {
    return target;
  }

  @Override
  public void getConnection(Handler<AsyncResult<SqlConnection>> handler) {
    current.getConnection(handler);
  }

  @Override
  public Future<SqlConnection> getConnection() {
    return current.getConnection();
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return current.query(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return current.preparedQuery(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions prepareOptions) {
    return current.preparedQuery(sql, prepareOptions);
  }

  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> function) {
    return current.withTransaction(function);
  }

  @Override
  public <T> void withTransaction(
      Function<SqlConnection, Future<T>> function, Handler<AsyncResult<T>> handler) {
    current.withTransaction(function, handler);
  }

  @Override
  public <T> Future<T> withTransaction(
      TransactionPropagation propagation, Function<SqlConnection, Future<T>> function) {
    return current.withTransaction(propagation, function);
  }

  @Override
  public <T> void withTransaction(
      TransactionPropagation propagation,
      Function<SqlConnection, Future<T>> function,
      Handler<AsyncResult<T>> handler) {
    current.withTransaction(propagation, function, handler);
  }

  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    return current.withConnection(function);
  }

  @Override
  public <T> void withConnection(
      Function<SqlConnection, Future<T>> function, Handler<AsyncResult<T>> handler) {
    current.withConnection(function, handler);
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
    return current.size();
  }

  @Override
  public void close(Handler<AsyncResult<Void>> handler) {
    close().onComplete(handler);
  }

  @Override
  public synchronized Future<Void> close() {
    closed = true;
    return current.close();
  }
}
