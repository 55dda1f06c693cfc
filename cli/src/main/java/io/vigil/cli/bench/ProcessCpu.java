package io.vigil.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time (user + system) a process and its descendants have used so far, read from {@code
 * /proc/<pid>/stat} (Linux): every thread of a process is counted in its own line, so a JVM's event
 * loops, JIT compilers and collector are all in it.
 */
final class ProcessCpu {

  /** Clock ticks per second of the {@code stat} times ({@code getconf CLK_TCK}; 100 on Linux). */
  private static final double TICKS = ticks();

  private ProcessCpu() {}

  /** Seconds of CPU used by {@code pid} and every process below it: {user, system}. */
  static double[] seconds(long pid) {
    ProcessHandle root =
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
    long[] sum = new long[2];
    Stream.concat(Stream.of(root), root.descendants())
        .forEach(
            h -> {
              long[] t = ticks(h.pid());
              sum[0] += t[0];
              sum[1] += t[1];
            });
    return new double[] {sum[0] / TICKS, sum[1] / TICKS};
  }

  private static long[] ticks(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    } catch (IOException e) {
      return new long[2]; // exited meanwhile
    }
    // the command name (field 2) may hold spaces: the fields after its closing parenthesis are
    // state (3) ... utime (14), stime (15)
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  private static double ticks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Double.parseDouble(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
