package io.vigil.commons.api;

import java.util.Optional;

/**
 * Turns a failure a service knows into the API's answer, for {@link ApiExceptionMappers}: e.g. a
 * PostgreSQL connection reset becomes 503 + {@code Retry-After}. A service offers one as a bean;
 * whatever no translator claims is a 500.
 */
public interface FailureTranslator {

  /** The answer for {@code failure}, or empty when this translator does not know it. */
  Optional<ApiException> translate(Throwable failure);
}
