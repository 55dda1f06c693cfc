package io.vigil.backup.service;

import io.vigil.backup.config.BackupConfig;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.process.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One {@code pg_receivewal} streaming a primary's WAL into the spool, flushing every write ({@code
 * --synchronous}); the last lines it wrote to standard error are kept to say why it stopped. The
 * password goes through the environment, never the command line.
 */
final class WalReceiver {

  private static final Logger LOG = Logger.getLogger(WalReceiver.class);

  private final Process process;
  private final List<String> errors;
  private final PatroniLeader source;
  private final Instant startedAt;
  private volatile Instant confirmedAt;

  private WalReceiver(Process process, List<String> errors, PatroniLeader source) {
    this.process = process;
    this.errors = errors;
    this.source = source;
    this.startedAt = Instant.now();
    this.confirmedAt = startedAt;
  }

  /** Starts streaming from {@code primary} into {@code spool}. */
  static WalReceiver start(BackupConfig.Postgres postgres, Path spool, PatroniLeader primary)
      throws IOException {
    Path bin = Tools.postgresClientBin(postgres.binDir());
    ProcessBuilder b =
        new ProcessBuilder(
            bin.resolve("pg_receivewal").toString(),
            "--directory=" + spool,
            "--host=" + primary.host(),
            "--port=" + primary.port(),
            "--username=" + postgres.user(),
            "--no-password",
            "--no-loop",
            "--synchronous",
            "--status-interval=1",
            "--verbose");
    postgres.password().ifPresent(p -> b.environment().put("PGPASSWORD", p));
    b.environment().put("PGCONNECT_TIMEOUT", "5");
    b.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = b.start();
    List<String> errors = new ArrayList<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (var in = p.errorReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                  synchronized (errors) {
                    errors.add(line);
                    if (errors.size() > 20) {
                      errors.remove(0);
                    }
                  }
                  LOG.debugf("pg_receivewal: %s", line);
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    return new WalReceiver(p, errors, primary);
  }

  /** Whether it still streams. */
  boolean alive() {
    return process.isAlive();
  }

  /** The primary it streams from. */
  PatroniLeader source() {
    return source;
  }

  /** When it started. */
  Instant startedAt() {
    return startedAt;
  }

  /** The last moment its source was confirmed to be the primary. */
  Instant confirmedAt() {
    return confirmedAt;
  }

  /** Its source is still the primary at {@code now}. */
  void confirm(Instant now) {
    confirmedAt = now;
  }

  /** How it ended: its exit code and last error lines. */
  String exit() {
    synchronized (errors) {
      return "exited with " + process.exitValue() + ": " + String.join(" / ", errors);
    }
  }

  /**
   * Whether it stopped because the primary no longer has the WAL after the spool's newest segment
   * (or it is on another timeline's history): the archived chain is broken.
   */
  boolean chainBroken() {
    String said;
    synchronized (errors) {
      said = String.join(" / ", errors);
    }
    return said.contains("has already been removed")
        || said.contains("not in this server's history")
        || said.contains("could not find")
        || said.contains("starting timeline");
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  void stop() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
