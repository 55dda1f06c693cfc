package io.vigil.commons.api;

import jakarta.ws.rs.core.Response;

/**
 * A failure the API answers with a status and an error code, in the API's error format ({@link
 * ApiError}). Thrown by any layer; {@link ApiExceptionMappers} writes the answer.
 */
public class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final int retryAfterSeconds;

  /**
   * @param status HTTP status
   * @param code machine-readable code, e.g. {@code invalid_request}
   * @param message what went wrong, for a person
   */
  public ApiException(int status, String code, String message) {
    this(status, code, message, 0);
  }

  /**
   * @param retryAfterSeconds when positive, the answer carries {@code Retry-After} (a 503 a client
   *     and the router may try again)
   */
  public ApiException(int status, String code, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Error code. */
  public String code() {
    return code;
  }

  /** The answer: the error body, and {@code Retry-After} when set. */
  public Response toResponse() {
    Response response = ApiError.response(status, code, getMessage());
    return retryAfterSeconds > 0
        ? Response.fromResponse(response).header("Retry-After", retryAfterSeconds).build()
        : response;
  }

  /** 400: the request is malformed or invalid. */
  public static ApiException badRequest(String message) {
    return new ApiException(400, "invalid_request", message);
  }

  /** 404: no such resource (for this tenant). */
  public static ApiException notFound(String what, String id) {
    return new ApiException(404, "not_found", what + " '" + id + "' does not exist");
  }

  /** 409: the request conflicts with what exists. */
  public static ApiException conflict(String message) {
    return new ApiException(409, "conflict", message);
  }

  /** 503 with {@code Retry-After: 1}: try again shortly (on this or another zone). */
  public static ApiException unavailable(String code, String message) {
    return new ApiException(503, code, message, 1);
  }
}
