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

  PrimaryFollowingPoolCreator(PrimaryLocator locator) {
    this.locator = locator;
  }

  @Override
  public Pool create(Input input) {
    locator.base(input.pgConnectOptionsList().get(0));
    PrimaryFollowingPool pool =
        new PrimaryFollowingPool(input.vertx(), input.poolOptions(), locator.current());
    locator.onChange(pool::follow);
    return pool;
  }
}
