package io.vigil.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.S3ProxyServer;
import io.vigil.process.Workspace;
import java.util.Map;
import java.util.UUID;

/**
 * A real S3Proxy for a {@code @QuarkusTest}: the backup repository becomes a fresh bucket in it
 * ({@code vigil.backup.repository.s3.*}). Tests reach the server through {@link #current()} and the
 * bucket through {@link #bucket()}.
 */
public class S3ProxyResource implements QuarkusTestResourceLifecycleManager {

  private static volatile S3ProxyServer current;
  private static volatile String bucket;
  private S3ProxyServer server;

  @Override
  public Map<String, String> start() {
    server = S3ProxyServer.start(Workspace.forTests(), "s3proxy");
    current = server;
    bucket = "vigil-" + UUID.randomUUID().toString().substring(0, 8);
    return Map.of(
        "vigil.backup.repository.s3.endpoint", server.endpoint(),
        "vigil.backup.repository.s3.bucket", bucket,
        "vigil.backup.repository.s3.access-key", server.accessKey(),
        "vigil.backup.repository.s3.secret-key", server.secretKey());
  }

  /** The S3Proxy of the running test application. */
  public static S3ProxyServer current() {
    return current;
  }

  /** The repository's bucket. */
  public static String bucket() {
    return bucket;
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
