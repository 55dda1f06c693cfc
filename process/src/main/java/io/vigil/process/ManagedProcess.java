package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * An external process in a session (and process group) of its own, its output captured to a log
 * file. Stopping signals the whole group, so helpers it forked go with it; processes of this JVM
 * still running at exit are stopped by a shutdown hook unless they were started detached.
 */
public final class ManagedProcess implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ManagedProcess.class);
  private static final Set<ManagedProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> RUNNING.forEach(p -> p.stop(Duration.ofSeconds(5))), "testkit-reaper"));
  }

  private final String name;
  private final long pid;
  private final Process process;
  private final Path log;
  private List<String> command = List.of();
  private Path workDir;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.pid = process.pid();
    this.log = log;
  }

  /**
   * Starts a process.
   *
   * @param name what the process is, for logs and messages
   * @param command the command line
   * @param env extra environment variables
   * @param workDir working directory
   * @param log file that receives standard output and standard error
   * @param detached whether it outlives this JVM (the vigil command) or is stopped at exit (tests)
   */
  public static ManagedProcess start(
      String name,
      List<String> command,
      Map<String, String> env,
      Path workDir,
      Path log,
      boolean detached) {
    List<String> full = new ArrayList<>();
    full.add("setsid");
    full.addAll(command);
    ProcessBuilder builder =
        new ProcessBuilder(full)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      Files.writeString(
          log,
          "=== " + String.join(" ", command) + System.lineSeparator(),
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      ManagedProcess p = new ManagedProcess(name, builder.start(), log);
      p.command = List.copyOf(command);
      p.workDir = workDir;
      if (!detached) {
        RUNNING.add(p);
      }
      LOG.debugf("started %s as pid %d, log %s", name, p.pid, log);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  /** What this process is. */
  public String name() {
    return name;
  }

  /** Its process id, which is also its process group id. */
  public long pid() {
    return pid;
  }

  /** Where its output goes. */
  public Path log() {
    return log;
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The last lines of its log, for error messages. */
  public String logTail(int lines) {
    return tail(log, lines);
  }

  /** SIGTERM, then SIGKILL to whatever is left after {@code grace}. */
  public void stop(Duration grace) {
    stop(grace, "TERM");
  }

  /**
   * {@code signal} to the process (its own shutdown stops its children), then SIGKILL to the group
   * and every descendant left after {@code grace}: like systemd's mixed kill mode.
   */
  public void stop(Duration grace, String signal) {
    RUNNING.remove(this);
    List<ProcessHandle> tree = tree();
    signal(pid, signal);
    try {
      process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kill(tree);
  }

  /** SIGKILL to the process, its group and every descendant, now: a crash. */
  public void kill() {
    RUNNING.remove(this);
    kill(tree());
  }

  /** SIGSTOP to the group: it keeps its sockets but answers nothing. */
  public void suspend() {
    tree().forEach(h -> signal(h.pid(), "STOP"));
  }

  /** SIGCONT to the group. */
  public void resume() {
    tree().forEach(h -> signal(h.pid(), "CONT"));
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }

  private List<ProcessHandle> tree() {
    List<ProcessHandle> all = new ArrayList<>();
    process.toHandle().descendants().forEach(all::add);
    all.add(process.toHandle());
    return all;
  }

  private void kill(List<ProcessHandle> tree) {
    signalGroup(pid, "KILL");
    for (ProcessHandle h : tree) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : tree) {
      try {
        h.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warnf("process %d of %s did not exit after SIGKILL: %s", h.pid(), name, e);
      }
    }
  }

  /** The command it was started with (to start it again the same way). */
  public List<String> command() {
    return command;
  }

  /** Its working directory. */
  public Path workDir() {
    return workDir;
  }

  /**
   * Sends a signal to a process started by this class in another JVM (by pid): its group and every
   * descendant (a Patroni member's PostgreSQL included).
   */
  public static void signalTree(long pid, String signal) {
    List<ProcessHandle> tree = new ArrayList<>();
    handle(pid)
        .ifPresent(
            h -> {
              h.descendants().forEach(tree::add);
              tree.add(h);
            });
    signalGroup(pid, signal);
    for (ProcessHandle h : tree) {
      signal(h.pid(), signal);
    }
  }

  /** Sends a signal to a whole process group (by its leader's pid). */
  public static void signalGroup(long pgid, String signal) {
    Commands.run(List.of("kill", "-s", signal, "--", "-" + pgid), Duration.ofSeconds(5));
  }

  /** Sends a signal to one process. */
  public static void signal(long pid, String signal) {
    Commands.run(List.of("kill", "-s", signal, Long.toString(pid)), Duration.ofSeconds(5));
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
          .collect(Collectors.joining(System.lineSeparator()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The process handle of a pid recorded earlier, when it still runs. */
  public static Optional<ProcessHandle> handle(long pid) {
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
  }
}
