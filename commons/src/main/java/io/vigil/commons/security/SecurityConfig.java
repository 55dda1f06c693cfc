package io.vigil.commons.security;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The operator's credentials, the same in every service of a region. Pass them in a configuration
 * file readable only by the service or in the environment ({@code VIGIL_SECURITY_OPERATOR_KEY}),
 * never on a command line. Without a key every control surface answers 401: Vigil fails closed.
 */
@ConfigMapping(prefix = "vigil.security")
public interface SecurityConfig {

  /**
   * The operator key: everything an operator may do (create service instances and API keys, drain
   * and disable zones, start backups, restores and drills).
   */
  Optional<String> operatorKey();

  /**
   * A read-only operator key: the {@code GET}s of the control surfaces (zones, backup status,
   * recovery points, drills) and nothing else — for dashboards and on-call tooling.
   */
  Optional<String> readerKey();
}
