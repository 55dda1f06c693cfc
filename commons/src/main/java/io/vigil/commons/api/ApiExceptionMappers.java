package io.vigil.commons.api;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place, for all three services, that turns failures into the API's error format ({@link
 * ApiError}). A service adds what only it knows through a {@link FailureTranslator} bean.
 */
public class ApiExceptionMappers {

  private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

  @Inject Instance<FailureTranslator> translators;

  @ServerExceptionMapper
  public Response api(ApiException e) {
    return e.toResponse();
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e) {
    return ApiError.response(404, "not_found", "no such endpoint");
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e) {
    return ApiError.response(405, "method_not_allowed", "this endpoint does not take that method");
  }

  @ServerExceptionMapper
  public Response unsupported(NotSupportedException e) {
    return ApiError.response(415, "unsupported_media_type", "send the body as application/json");
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    if (status == 413) {
      return ApiError.response(
          413, "payload_too_large", "the request body is larger than the API takes");
    }
    return ApiError.response(
        status, status >= 500 ? "internal_error" : "invalid_request", e.getMessage());
  }

  @ServerExceptionMapper(priority = Priorities.USER + 1000)
  public Response unexpected(Throwable e) {
    for (FailureTranslator translator : translators) {
      Optional<ApiException> known = translator.translate(e);
      if (known.isPresent()) {
        return known.get().toResponse();
      }
    }
    LOG.errorf(e, "unexpected failure");
    return ApiError.response(500, "internal_error", "unexpected failure; see the service log");
  }
}
