package io.vigil.monitoring.repository;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.sqlclient.Pool;
import jakarta.inject.Singleton;

/**
 * Builds the write pool with the pool options and credentials Quarkus configured: connected to the
 * primary {@link PrimaryLocator} knows, and moved with every connection to the next one it finds
 * ({@link PrimaryFollowingPool}).
 */
@Singleton
public class PrimaryFollowingPoolCreator implements PgPoolCreator {

  private final PrimaryLocator locator;
  private volatile PrimaryFollowingPool pool;

  PrimaryFollowingPoolCreator(PrimaryLocator locator) {
    this.locator = locator;
  }

  @Override
  public Pool create(Input input) {
    locator.base(input.pgConnectOptionsList().get(0));
    PrimaryFollowingPool pool =
        new PrimaryFollowingPool(
            input.vertx(), input.poolOptions(), locator.current(), locator::replicas);
    locator.onChange(pool::follow);
    this.pool = pool;
    return pool;
  }

  /**
   * Checks the write pool's primary and, when it cannot be reached, sends requests to the replicas
   * ({@link PrimaryFollowingPool#probe}); what serves, or a failure when nothing does.
   */
  public io.vertx.core.Future<String> probe(long timeoutMillis) {
    PrimaryFollowingPool p = pool;
    return p == null
        ? io.vertx.core.Future.failedFuture("the write pool is not built yet")
        : p.probe(timeoutMillis);
  }
}
