package io.vigil.backup.service;

import io.vigil.backup.config.BackupConfig;
import io.vigil.commons.postgres.PatroniLeader;
import io.vigil.process.Commands;
import io.vigil.process.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  private final Optional<String> slot;
  private final Instant startedAt;
  private volatile Instant confirmedAt;

  private WalReceiver(
      Process process, List<String> errors, PatroniLeader source, Optional<String> slot) {
    this.process = process;
    this.errors = errors;
    this.source = source;
    this.slot = slot;
    this.startedAt = Instant.now();
    this.confirmedAt = startedAt;
  }

  /**
   * Starts streaming from {@code primary} into {@code spool}, through replication slot {@code slot}
   * when present (the primary keeps the WAL the stream has not flushed).
   */
  static WalReceiver start(
      BackupConfig.Postgres postgres, Optional<String> slot, Path spool, PatroniLeader primary)
      throws IOException {
    List<String> command =
        command(
            postgres,
            primary,
            "--directory=" + spool,
            "--no-loop",
            "--synchronous",
            "--status-interval=1",
            "--verbose");
    slot.ifPresent(s -> command.add("--slot=" + s));
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().putAll(environment(postgres));
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
    return new WalReceiver(p, errors, primary, slot);
  }

  /**
   * Makes sure {@code primary} has the physical replication slot {@code slot} (Patroni keeps it on
   * the primary as a permanent slot where the cluster declares it; elsewhere this creates it).
   * Answers why not when it cannot: the stream then goes without one.
   */
  static Optional<String> ensureSlot(
      BackupConfig.Postgres postgres, String slot, PatroniLeader primary) {
    return slotCommand(postgres, primary, "--create-slot", "--if-not-exists", "--slot=" + slot);
  }

  /**
   * Drops the slot (after a broken chain: its position is behind WAL the primary removed, so it
   * holds nothing of use; {@link #ensureSlot} then reserves from the primary's position). Answers
   * why not when it cannot.
   */
  static Optional<String> dropSlot(
      BackupConfig.Postgres postgres, String slot, PatroniLeader primary) {
    Optional<String> failure = Optional.empty();
    // the server process of the stream that just ended may still hold it for a moment
    for (int attempt = 0; attempt < 10; attempt++) {
      failure = slotCommand(postgres, primary, "--drop-slot", "--slot=" + slot);
      if (failure.isPresent() && failure.get().contains("does not exist")) {
        return Optional.empty();
      }
      if (failure.isEmpty() || !failure.get().contains("is active")) {
        return failure;
      }
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failure;
      }
    }
    return failure;
  }

  private static Optional<String> slotCommand(
      BackupConfig.Postgres postgres, PatroniLeader primary, String... action) {
    Commands.Result r =
        Commands.run(
            command(postgres, primary, action), environment(postgres), "", Duration.ofSeconds(15));
    return r.exitCode() == 0 ? Optional.empty() : Optional.of(r.output().strip());
  }

  /** pg_receivewal with the connection to {@code primary} and {@code args}. */
  private static List<String> command(
      BackupConfig.Postgres postgres, PatroniLeader primary, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Tools.postgresClientBin(postgres.binDir()).resolve("pg_receivewal").toString());
    command.add("--host=" + primary.host());
    command.add("--port=" + primary.port());
    command.add("--username=" + postgres.user());
    command.add("--no-password");
    command.addAll(List.of(args));
    return command;
  }

  /** The password through the environment, never the command line. */
  private static Map<String, String> environment(BackupConfig.Postgres postgres) {
    Map<String, String> env = new HashMap<>();
    postgres.password().ifPresent(p -> env.put("PGPASSWORD", p));
    env.put("PGCONNECT_TIMEOUT", "5");
    return env;
  }

  /** Whether it still streams. */
  boolean alive() {
    return process.isAlive();
  }

  /** The primary it streams from. */
  PatroniLeader source() {
    return source;
  }

  /** The replication slot it streams through, if any. */
  Optional<String> slot() {
    return slot;
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
