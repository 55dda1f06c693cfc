package io.vigil.cli.drill;

import io.vigil.cli.region.RegionState;
import io.vigil.process.Http;
import io.vigil.process.ManagedProcess;
import io.vigil.process.Readiness;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Failures of one zone of a local region: every process of the zone (its etcd member, its
 * PostgreSQL/Patroni member, its monitoring-service and backup-service) killed (SIGKILL), hung
 * (SIGSTOP: connections accepted, never answered), resumed, or started again as it was started.
 */
public final class Zones {

  private Zones() {}

  /** The processes of {@code zone}; fails when the region has no such zone. */
  public static List<RegionState.Process> of(RegionState state, String zone) {
    List<RegionState.Process> in =
        state.processes.stream().filter(p -> zone.equals(p.zone())).toList();
    if (in.isEmpty()) {
      throw new IllegalArgumentException(
          "the region has no zone '"
              + zone
              + "'; zones: "
              + state.processes.stream()
                  .map(RegionState.Process::zone)
                  .filter(z -> z != null)
                  .distinct()
                  .sorted()
                  .toList());
    }
    return in;
  }

  /** SIGKILL to every process of the zone, waiting until they are gone. */
  public static void kill(RegionState state, String zone, PrintStream out) {
    for (RegionState.Process p : of(state, zone)) {
      if (p.alive()) {
        kill(p, out); // a hung process dies too: it is resumed first
      }
    }
  }

  /** SIGSTOP to every process of the zone. */
  public static void hang(RegionState state, String zone, PrintStream out) {
    signalRunning(state, zone, "STOP", "hung", out);
  }

  /** SIGCONT to every process of the zone, then waits until its services serve again. */
  public static void resume(RegionState state, String zone, PrintStream out) {
    signalRunning(state, zone, "CONT", "resumed", out);
    awaitServing(state, of(state, zone));
  }

  private static void signalRunning(
      RegionState state, String zone, String signal, String what, PrintStream out) {
    for (RegionState.Process p : of(state, zone)) {
      if (p.alive()) {
        p.signal(signal);
        out.printf("  %s %s (pid %d)%n", what, p.name(), p.pid());
      }
    }
  }

  /**
   * Starts every stopped process of the zone again with its command, and waits until its services
   * are ready; the state file is updated with the new pids.
   */
  public static void start(RegionState state, Path stateFile, String zone, PrintStream out) {
    startAgain(state, stateFile, of(state, zone), out);
  }

  /** The process called {@code name}. */
  public static RegionState.Process named(RegionState state, String name) {
    return state.processes.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the region has no process " + name));
  }

  /**
   * SIGKILL to one process, its children and what it detached (a Patroni member's PostgreSQL),
   * waiting until they are gone: as when the machine dies.
   */
  public static void kill(RegionState.Process p, PrintStream out) {
    p.signal("CONT");
    p.signal("KILL");
    out.printf("  killed %s (pid %d)%n", p.name(), p.pid());
    Readiness.await(p.name() + " gone", Duration.ofSeconds(10), () -> !p.alive());
  }

  /**
   * Starts the stopped ones of {@code processes} again with their commands and waits until the
   * services among them are ready; the state file is updated with the new pids.
   */
  public static void startAgain(
      RegionState state, Path stateFile, List<RegionState.Process> processes, PrintStream out) {
    for (RegionState.Process p : processes) {
      if (p.running()) {
        continue;
      }
      if (p.command() == null || p.command().isEmpty()) {
        throw new IllegalStateException(
            p.name()
                + " was started by an older vigil; restart the region (./vigil down; ./vigil up)");
      }
      ManagedProcess started =
          ManagedProcess.start(
              p.name(), p.command(), Map.of(), Path.of(p.workDir()), Path.of(p.log()), true);
      state.replace(p, started);
      state.write(stateFile);
      out.printf("  started %s (pid %d)%n", p.name(), started.pid());
    }
    awaitServing(state, processes);
  }

  /**
   * Waits until the services among {@code processes} are ready and their instance keys are in etcd
   * again (a resumed service whose lease ran out while it was stopped registers anew, and may not
   * have noticed yet that its key is gone).
   */
  private static void awaitServing(RegionState state, List<RegionState.Process> processes) {
    for (RegionState.Process p : processes) {
      if (p.role().endsWith("-service")) {
        // the instance key of DESIGN.md §2; the local region's instance ids are process names
        String key =
            "/vigil/regions/"
                + state.region
                + "/zones/"
                + p.zone()
                + "/instances/"
                + p.role()
                + "/"
                + p.name();
        Readiness.await(
            p.name() + " ready and registered",
            Duration.ofSeconds(90),
            () ->
                Http.get(p.management() + "/q/health/ready").status() == 200
                    && !state
                        .etcdctl(Duration.ofSeconds(5), "get", key, "--keys-only")
                        .attempt()
                        .output()
                        .isBlank());
      }
    }
  }
}
