package io.vigil.backup.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Finding and running the external tools of backups (PostgreSQL's, etcdctl, tar). */
final class Tools {

  private Tools() {}

  /** A binary on the PATH. */
  static Optional<Path> which(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The directory of PostgreSQL's client tools: the configured one, else the newest {@code
   * /usr/lib/postgresql/N/bin} that has them, else the PATH.
   */
  static Path postgresBin(Optional<Path> configured) {
    if (configured.isPresent()) {
      return configured.get();
    }
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> versions = Files.list(base)) {
        Optional<Path> newest =
            versions
                .map(v -> v.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("pg_basebackup")))
                .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())));
        if (newest.isPresent()) {
          return newest.get();
        }
      } catch (IOException e) {
        // fall through to the PATH
      }
    }
    return which("pg_basebackup")
        .map(Path::getParent)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "pg_basebackup not found: install postgresql-client (apt-get install"
                        + " postgresql-client) or set vigil.backup.postgres.bin-dir"));
  }

  private static int version(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Runs a command to completion and returns its standard output; standard error lines go to {@code
   * stderr} (null = kept for the error message). A non-zero exit fails with the output.
   */
  static String run(List<String> command, Map<String, String> env, Consumer<String> stderr)
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
                      if (c == '\n' || c == '\r') {
                        if (!line.isEmpty()) {
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
                      } else {
                        line.append((char) c);
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
