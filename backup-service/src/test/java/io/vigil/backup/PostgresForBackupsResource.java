package io.vigil.backup;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.PostgresServer;
import io.vigil.process.Workspace;
import java.util.Map;

/** A real PostgreSQL for base backups, with the superuser as the backup role. */
public class PostgresForBackupsResource implements QuarkusTestResourceLifecycleManager {

  private static volatile PostgresServer current;

  @Override
  public Map<String, String> start() {
    current = PostgresServer.start(Workspace.forTests(), "postgres-backups");
    return Map.of(
        "vigil.backup.postgres.host",
        "127.0.0.1",
        "vigil.backup.postgres.port",
        Integer.toString(current.port()),
        "vigil.backup.postgres.user",
        PostgresServer.USER,
        "vigil.backup.postgres.password",
        current.password(),
        "vigil.test.repository",
        "target/test-backups-" + java.util.UUID.randomUUID().toString().substring(0, 8));
  }

  /** The server of the running test application. */
  public static PostgresServer current() {
    return current;
  }

  @Override
  public void stop() {
    if (current != null) {
      current.close();
    }
  }
}
