package io.vigil.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Short external commands run to their end (initdb, etcdctl, pg_basebackup, psql, kill …), as
 * opposed to the long-running servers of {@link ManagedProcess}. Secrets go in {@code env}, never
 * on the command line.
 */
public final class Commands {

  private Commands() {}

  /** Runs a short command to its end and answers its output; fails on a non-zero exit. */
  public static String runChecked(List<String> command, Duration timeout) {
    return runChecked(command, Map.of(), "", timeout);
  }

  /** The outcome of a short command. */
  public record Result(int exitCode, String output) {}

  /** Runs a short command to its end (killed after {@code timeout}). */
  public static Result run(List<String> command, Duration timeout) {
    return run(command, Map.of(), "", timeout);
  }

  /**
   * Runs a short command to its end with extra environment variables and {@code stdin} as its
   * standard input (the two places a secret may go); fails on a non-zero exit.
   */
  public static String runChecked(
      List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    Result r = run(command, env, stdin, timeout);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " exited with " + r.exitCode() + ":\n" + r.output());
    }
    return r.output();
  }

  /**
   * Runs a short command to its end (killed after {@code timeout}) with extra environment variables
   * and {@code stdin} (empty: none) as its standard input.
   */
  public static Result run(
      List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    Path out = null;
    try {
      out = Files.createTempFile("vigil-cmd", ".out");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      builder.environment().putAll(env);
      if (stdin.isEmpty()) {
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      }
      Process p = builder.start();
      if (!stdin.isEmpty()) {
        try (var in = p.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!ended) {
        p.destroyForcibly();
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      return ended ? new Result(p.exitValue(), text) : new Result(-1, text + "\n(timed out)");
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temporary file left in /tmp is harmless
        }
      }
    }
  }

  private static void run(List<String> command) {
    run(command, Duration.ofSeconds(5));
  }

  /**
   * Runs a command to completion and answers its standard output; standard error lines go to {@code
   * stderr} as they come (null: only kept for the error message). A non-zero exit fails with the
   * last error lines.
   *
   * @param env extra environment variables (a password, say)
   */
  public static String output(
      List<String> command, Map<String, String> env, Consumer<String> stderr)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Process p = builder.start();
    List<String> errors = new ArrayList<>();
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (var in = p.errorReader(StandardCharsets.UTF_8)) {
                    StringBuilder line = new StringBuilder();
                    int c;
                    while ((c = in.read()) >= 0) {
                      if (c != '\n' && c != '\r') {
                        line.append((char) c);
                      } else if (!line.isEmpty()) {
                        String l = line.toString();
                        synchronized (errors) {
                          errors.add(l);
                          if (errors.size() > 50) {
                            errors.remove(0);
                          }
                        }
                        if (stderr != null) {
                          stderr.accept(l);
                        }
                        line.setLength(0);
                      }
                    }
                  } catch (IOException e) {
                    // the process ended
                  }
                });
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    reader.join();
    if (code != 0) {
      throw new IOException(
          command.get(0)
              + " exited with "
              + code
              + ": "
              + String.join(" / ", errors)
              + (out.isBlank() ? "" : " " + out.strip()));
    }
    return out;
  }
}
