package io.vigil.monitoring;

import io.quarkus.test.common.QuarkusTestResource;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.PostgresResource;

/**
 * Real PostgreSQL and etcd from the test kit for every {@code @QuarkusTest} of this module, shared
 * by all of them (a profile can turn them off with {@code disableGlobalTestResources}).
 */
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(EtcdResource.class)
public final class RealDependencies {
  private RealDependencies() {}
}
