package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.pgclient.PgException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place that turns failures into the API's error format: {@code {"trace", "errors":
 * [{"code", "message"}]}}.
 */
public class ApiExceptionMappers {

  private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

  /** Builds an error response. */
  public static Response error(int status, String code, String message) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("trace", UUID.randomUUID().toString());
    ObjectNode error = body.putArray("errors").addObject();
    error.put("code", code);
    error.put("message", message);
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
  }

  @ServerExceptionMapper
  public Response api(ApiException e) {
    return error(e.status(), e.code(), e.getMessage());
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e) {
    return error(404, "not_found", "no such endpoint");
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e) {
    return error(405, "method_not_allowed", "this endpoint does not take that method");
  }

  @ServerExceptionMapper
  public Response unsupported(NotSupportedException e) {
    return error(415, "unsupported_media_type", "send the body as application/json");
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    if (status == 413) {
      return error(413, "payload_too_large", "the request body is larger than the API takes");
    }
    return error(status, status >= 500 ? "internal_error" : "invalid_request", e.getMessage());
  }

  @ServerExceptionMapper
  public Response database(PgException e) {
    if ("23505".equals(e.getSqlState())) {
      return error(409, "conflict", "a resource with that identity exists already");
    }
    if ("25006".equals(e.getSqlState())
        || "57P01".equals(e.getSqlState())
        || "57P03".equals(e.getSqlState())) {
      // read-only (a demoted primary), shut down, or not accepting connections: a failover
      return Response.fromResponse(
              error(503, "database_unavailable", "the database is failing over; retry shortly"))
          .header("Retry-After", "1")
          .build();
    }
    LOG.errorf(e, "database error");
    return error(503, "database_unavailable", "the database refused the request; retry later");
  }

  @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
  public Response unexpected(Throwable e) {
    // the connection to PostgreSQL refused, reset or closed (a server lost, or a pool closed as the
    // primary changed), or no answer in time
    if (e instanceof java.net.SocketException
        || e instanceof io.vertx.sqlclient.ClosedConnectionException
        || e instanceof io.vertx.core.VertxException && "Pool closed".equals(e.getMessage())
        || e instanceof io.vertx.core.impl.NoStackTraceThrowable
            && e.getMessage() != null
            && e.getMessage().startsWith("Connection is not active now")
        || e instanceof java.util.concurrent.TimeoutException) {
      LOG.warnf("database unavailable: %s", e.toString());
      return Response.fromResponse(
              error(503, "database_unavailable", "the database is not reachable; retry later"))
          .header("Retry-After", "1")
          .build();
    }
    LOG.errorf(e, "unexpected failure");
    return error(500, "internal_error", "unexpected failure; see the service log");
  }
}
