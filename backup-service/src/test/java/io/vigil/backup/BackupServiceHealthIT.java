package io.vigil.backup;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same checks against the packaged application (the native binary in the native build). */
@QuarkusIntegrationTest
class BackupServiceHealthIT extends BackupServiceHealthTest {}
