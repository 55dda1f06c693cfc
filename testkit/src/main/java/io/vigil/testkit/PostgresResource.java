package io.vigil.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.PostgresServer;
import io.vigil.process.Workspace;
import java.util.Map;

/**
 * A real PostgreSQL for a {@code @QuarkusTest}: sets the reactive and JDBC (migrations) URLs and
 * credentials. Tests reach the server through {@link #current()}.
 */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

  private static volatile PostgresServer current;
  private PostgresServer server;

  @Override
  public Map<String, String> start() {
    server = PostgresServer.start(Workspace.forTests(), "postgres");
    current = server;
    return Map.of(
        "quarkus.datasource.reactive.url", server.reactiveUrl(),
        "quarkus.datasource.jdbc.url", server.jdbcUrl(PostgresServer.DATABASE),
        "quarkus.datasource.username", PostgresServer.USER,
        "quarkus.datasource.password", server.password());
  }

  /** The server of the running test application. */
  public static PostgresServer current() {
    return current;
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
