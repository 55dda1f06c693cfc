package io.vigil.monitoring.rest;

/** A failure the API answers with a status and an error code, in the OpenScale error format. */
public class ApiException extends RuntimeException {

  private final int status;
  private final String code;

  /**
   * @param status HTTP status
   * @param code machine-readable code, e.g. {@code invalid_request}
   * @param message what went wrong, for a person
   */
  public ApiException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Error code. */
  public String code() {
    return code;
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
}
