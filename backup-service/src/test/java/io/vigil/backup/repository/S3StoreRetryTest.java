package io.vigil.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vigil.process.Ports;
import io.vigil.testkit.EtcdResource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object store's requests under SmallRye Fault Tolerance (inside the running service, as in
 * production): a dead port and a store that answers 503 are tried three times with backoff; a store
 * that recovers within them is used.
 */
@QuarkusTest
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class S3StoreRetryTest {

  @TempDir Path staging;

  private S3Store store(int port) {
    return new S3Store(
        URI.create("http://127.0.0.1:" + port),
        "bucket",
        "",
        "access",
        "secret",
        "us-east-1",
        staging);
  }

  private Path artifact() throws IOException {
    Path f = staging.resolve("artifact");
    Files.writeString(f, "bytes");
    return f;
  }

  @Test
  void aDeadPortIsTriedThreeTimesWithBackoffThenFails() throws Exception {
    S3Store store = store(Ports.free());
    Path file = artifact();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> store.put("k", file, BackupRepository.sha256(file)))
        .isInstanceOf(IOException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    // 100 ms, then 400 ms between the tries (jitter ±20 ms), and no more
    assertThat(took)
        .isGreaterThanOrEqualTo(Duration.ofMillis(440))
        .isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aStoreThatAnswers503IsTriedAgainAndUsedOnceItRecovers() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger failFirst = new AtomicInteger(2);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.incrementAndGet();
          exchange.getRequestBody().readAllBytes();
          byte[] body =
              (failFirst.getAndDecrement() > 0
                      ? "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
                      : "")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(
              body.length > 0 ? 503 : 200, body.length > 0 ? body.length : -1);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      S3Store store = store(server.getAddress().getPort());
      store.put("k", artifact(), BackupRepository.sha256(artifact()));
      assertThat(requests.get()).as("two 503s, then the 200").isEqualTo(3);

      requests.set(0);
      failFirst.set(5);
      assertThatThrownBy(() -> store.put("k", artifact(), BackupRepository.sha256(artifact())))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("503")
          .hasMessageContaining("SlowDown");
      assertThat(requests.get()).as("three tries, no more").isEqualTo(3);
    } finally {
      server.stop(0);
    }
  }
}
