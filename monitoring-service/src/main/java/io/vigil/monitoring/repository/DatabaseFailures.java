package io.vigil.monitoring.repository;

import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.FailureTranslator;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.SocketException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * What PostgreSQL's failures mean to a client: a unique violation is 409; a failover (read-only,
 * shut down, not accepting connections), a connection refused, reset or closed (a server lost, or a
 * pool closed as the primary changed) or no answer in time is 503 + {@code Retry-After}, which the
 * router and clients retry.
 */
@ApplicationScoped
public class DatabaseFailures implements FailureTranslator {

  private static final Logger LOG = Logger.getLogger(DatabaseFailures.class);

  @Override
  public Optional<ApiException> translate(Throwable e) {
    if (e instanceof PgException pg) {
      return Optional.of(translate(pg));
    }
    if (e instanceof SocketException
        || e instanceof ClosedConnectionException
        || e instanceof VertxException && "Pool closed".equals(e.getMessage())
        || e instanceof NoStackTraceThrowable
            && e.getMessage() != null
            && e.getMessage().startsWith("Connection is not active now")
        || e instanceof TimeoutException) {
      LOG.warnf("database unavailable: %s", e.toString());
      return Optional.of(
          ApiException.unavailable(
              "database_unavailable", "the database is not reachable; retry later"));
    }
    return Optional.empty();
  }

  private static ApiException translate(PgException e) {
    String state = e.getSqlState();
    if ("23505".equals(state)) {
      return ApiException.conflict("a resource with that identity exists already");
    }
    if ("25006".equals(state) || "57P01".equals(state) || "57P03".equals(state)) {
      return ApiException.unavailable(
          "database_unavailable", "the database is failing over; retry shortly");
    }
    LOG.errorf(e, "database error");
    return new ApiException(
        503, "database_unavailable", "the database refused the request; retry later");
  }
}
