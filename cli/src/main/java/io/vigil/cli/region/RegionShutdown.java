package io.vigil.cli.region;

import io.vigil.process.ManagedProcess;
import io.vigil.process.Readiness;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code vigil down}: a region's processes stopped in order, none left behind. */
public final class RegionShutdown {

  private RegionShutdown() {}

  /**
   * Stops every process of a region in three waves, services first, then storage, then etcd: in
   * each wave SIGTERM to every process (SIGINT, fast shutdown, to PostgreSQL), up to 15 s for them
   * to exit, then SIGKILL to the process groups of whatever is left. Answers the processes that
   * could not be stopped (empty when all are gone).
   */
  public static List<RegionState.Process> stop(RegionState state, PrintStream out) {
    List<List<RegionState.Process>> waves = new ArrayList<>();
    waves.add(state.processes.stream().filter(p -> p.role().endsWith("-service")).toList());
    waves.add(
        state.processes.stream()
            .filter(p -> !p.role().endsWith("-service") && !p.role().equals("etcd"))
            .toList());
    waves.add(state.processes.stream().filter(p -> p.role().equals("etcd")).toList());
    for (List<RegionState.Process> wave : waves) {
      List<RegionState.Process> running = wave.stream().filter(RegionState.Process::alive).toList();
      for (RegionState.Process p : running) {
        out.println("  stopping " + p.name() + " (pid " + p.pid() + ")");
        if (p.running()) {
          ManagedProcess.signal(p.pid(), p.role().equals("postgres") ? "INT" : "TERM");
        } else {
          // Patroni is gone, its PostgreSQL is not: a fast shutdown of the postmaster
          p.detached().ifPresent(h -> ManagedProcess.signal(h.pid(), "INT"));
        }
      }
      awaitExit(running, Duration.ofSeconds(15));
      for (RegionState.Process p : running) {
        if (p.alive()) {
          out.println("  " + p.name() + " did not stop in 15 s: SIGKILL");
          p.signal("KILL");
        }
      }
      awaitExit(running, Duration.ofSeconds(5));
    }
    return state.running();
  }

  private static void awaitExit(List<RegionState.Process> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (processes.stream().anyMatch(RegionState.Process::alive)
        && System.nanoTime() < deadline) {
      Readiness.sleep(Duration.ofMillis(50));
    }
  }
}
