package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * S3-compatible object storage for tests and the local region: S3Proxy (from Maven Central) as a
 * process of its own over a filesystem directory, with AWS signature v2/v4 authentication.
 */
public final class S3ProxyServer implements AutoCloseable {

  private final String name;
  private final int port;
  private final Path dir;
  private final String accessKey = "vigil-" + UUID.randomUUID().toString().substring(0, 8);
  private final String secretKey = UUID.randomUUID().toString().replace("-", "");
  private ManagedProcess process;

  private S3ProxyServer(Workspace workspace, String name) {
    this.name = name;
    this.port = Ports.free();
    this.dir = workspace.dir(name);
  }

  /**
   * Starts S3Proxy and waits until it answers HTTP. Its {@code filesystem} store, not {@code
   * filesystem-nio2}: the latter keeps the temporary file of a PUT whose client died half-way (a
   * backup-service killed mid-upload, as the drills do), and from then on every listing of that
   * prefix answers 500 (measured: SIGKILL of an uploading client, then a list).
   */
  public static S3ProxyServer start(Workspace workspace, String name) {
    S3ProxyServer server = new S3ProxyServer(workspace, name);
    Path blobs = server.dir.resolve("blobs");
    Path properties = server.dir.resolve("s3proxy.properties");
    try {
      Files.createDirectories(blobs);
      Workspace.writePrivate(
          properties,
          """
          s3proxy.endpoint=http://127.0.0.1:%d
          s3proxy.authorization=aws-v2-or-v4
          s3proxy.identity=%s
          s3proxy.credential=%s
          jclouds.provider=filesystem
          jclouds.identity=%s
          jclouds.credential=%s
          jclouds.filesystem.basedir=%s
          """
              .formatted(
                  server.port,
                  server.accessKey,
                  server.secretKey,
                  server.accessKey,
                  server.secretKey,
                  blobs));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command =
        List.of(
            Tools.java().toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-jar",
            Tools.s3proxyJar().toString(),
            "--properties",
            properties.toString());
    server.process = workspace.start(name, command, Map.of());
    Readiness.await(
        server.process,
        name + " answering HTTP",
        Duration.ofSeconds(60),
        () -> Http.get(server.endpoint() + "/").status() > 0);
    return server;
  }

  /** Endpoint URL, e.g. {@code http://127.0.0.1:34567}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** Access key id. */
  public String accessKey() {
    return accessKey;
  }

  /** Secret access key. */
  public String secretKey() {
    return secretKey;
  }

  /** The process. */
  public ManagedProcess process() {
    return process;
  }

  /** Stops S3Proxy and deletes the stored objects. */
  @Override
  public void close() {
    if (process != null) {
      process.stop(Duration.ofSeconds(5));
      process = null;
    }
    Workspace.deleteTree(dir);
  }
}
