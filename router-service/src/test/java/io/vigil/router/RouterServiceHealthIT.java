package io.vigil.router;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same checks against the packaged application (the native binary in the native build). */
@QuarkusIntegrationTest
class RouterServiceHealthIT extends RouterServiceHealthTest {}
