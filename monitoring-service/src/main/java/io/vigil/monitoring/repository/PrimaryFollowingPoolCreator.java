package io.vigil.monitoring.repository;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;

/**
 * Builds the write pool so that every new connection goes to the primary {@link PrimaryLocator}
 * knows at that moment, with the pool options and credentials Quarkus configured.
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
    return PgBuilder.pool()
        .with(input.poolOptions())
        .using(input.vertx())
        .connectingTo(() -> Future.<SqlConnectOptions>succeededFuture(locator.current()))
        .build();
  }
}
