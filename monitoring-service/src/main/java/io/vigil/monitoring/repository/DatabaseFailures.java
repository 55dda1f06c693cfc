package io.vigil.monitoring.repository;

import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.FailureTranslator;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.SocketException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * What PostgreSQL's failures mean to a client: a unique violation is 409; a value it cannot store
 * (a data exception, a check violation, an over-long id) is 400 — never retried; a failover
 * (read-only, shut down, not accepting connections), a connection refused, reset or closed (a
 * server lost, or a pool closed as the primary changed), a serialization failure or no answer in
 * time is 503 + {@code Retry-After}, which the router and clients retry; anything else is a 500.
 */
@ApplicationScoped
public class DatabaseFailures implements FailureTranslator {

  private static final Logger LOG = Logger.getLogger(DatabaseFailures.class);

  @Override
  public Optional<ApiException> translate(Throwable failure) {
    // Hibernate Reactive wraps the driver's failure (e.g. in a ConstraintViolationException)
    for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
      Optional<ApiException> known = translateOne(e);
      if (known.isPresent()) {
        return known;
      }
    }
    return Optional.empty();
  }

  private static Optional<ApiException> translateOne(Throwable e) {
    if (e instanceof ApiException api) {
      return Optional.of(api);
    }
    if (e instanceof PgException pg) {
      return Optional.of(translate(pg.getSqlState(), pg.getErrorMessage(), pg.getConstraint(), e));
    }
    if (e instanceof SQLException sql && sql.getSQLState() != null) {
      // Hibernate Reactive's form of the driver's failure: the state and message, no constraint
      String message =
          String.valueOf(sql.getMessage())
              .replaceFirst("^ERROR: ", "")
              .replaceFirst(" \\(" + sql.getSQLState() + "\\)$", "");
      return Optional.of(translate(sql.getSQLState(), message, null, e));
    }
    if (e instanceof SocketException
        || e instanceof ClosedConnectionException
        // the write pool closed as the primary changed: a query on it (VertxException) or a
        // connection asked of it, as Hibernate Reactive does (NoStackTraceThrowable)
        || (e instanceof VertxException || e instanceof NoStackTraceThrowable)
            && "Pool closed".equals(e.getMessage())
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

  private static ApiException translate(
      String sqlState, String message, String constraint, Throwable e) {
    String state = sqlState == null ? "" : sqlState;
    if (state.equals("23505")) {
      return ApiException.conflict("a resource with that identity exists already");
    }
    if (state.equals("23514") && "records_before_partitions".equals(constraint)) {
      // a record dated past the bound checked while records is switched to partitions
      // (RecordsSwitch): accepted again a moment later
      return ApiException.unavailable(
          "records_reorganizing", "records are being reorganized; retry shortly");
    }
    if (state.startsWith("22") || state.equals("23514")) {
      // data exceptions: a NUL or an unencodable character, a value out of range
      return ApiException.badRequest("a value cannot be stored: " + message);
    }
    if (state.equals("54000")) {
      // program limit exceeded: e.g. an id too long for an index
      return ApiException.badRequest("a value is too long to be stored: " + message);
    }
    if (state.equals("25006")
        || state.startsWith("08")
        || state.startsWith("40")
        || state.startsWith("53")
        || state.startsWith("55")
        || state.startsWith("57")
        || state.startsWith("58")) {
      // read-only or in recovery (a failover), connection, serialization, resources, locks,
      // shutdown: transient
      return ApiException.unavailable(
          "database_unavailable", "the database is failing over or busy; retry shortly");
    }
    LOG.errorf(e, "database error");
    return new ApiException(500, "internal_error", "the database refused the request");
  }
}
