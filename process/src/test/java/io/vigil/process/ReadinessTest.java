package io.vigil.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process that cannot bind its port is reported as such, with its log. */
class ReadinessTest {

  @TempDir Path dir;

  @Test
  void aServerWhosePortIsBusySaysSo() throws Exception {
    Path program = dir.resolve("Bind.java");
    Files.writeString(
        program,
        "public class Bind { public static void main(String[] a) throws Exception {"
            + " new java.net.ServerSocket(Integer.parseInt(a[0]), 1,"
            + " java.net.InetAddress.getLoopbackAddress()); Thread.sleep(60_000); } }");
    String java = ProcessHandle.current().info().command().orElse("java");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ManagedProcess p =
          ManagedProcess.start(
              "bind-test",
              List.of(java, program.toString(), Integer.toString(taken.getLocalPort())),
              Map.of(),
              dir,
              dir.resolve("bind-test.log"),
              false);
      try {
        assertThatThrownBy(
                () -> Readiness.await(p, "listening", Duration.ofSeconds(30), () -> false))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("bind-test exited before listening: a port it was given is busy")
            .hasMessageContaining("Address already in use");
      } finally {
        p.close();
      }
    }
    assertThat(Readiness.busyPort("Port already bound: 8080")).isTrue();
    assertThat(Readiness.busyPort("Connection refused")).isFalse();
  }
}
