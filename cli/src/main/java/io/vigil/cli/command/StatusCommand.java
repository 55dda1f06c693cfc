package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.region.RegionState;
import io.vigil.process.Http;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code vigil status}: every process of the region and its health; exit 1 unless all are up. */
@Command(name = "status", description = "Show every process of the region and its health.")
public final class StatusCommand implements Callable<Integer> {

  @ParentCommand private Vigil vigil;

  @Override
  public Integer call() {
    PrintStream out = vigil.out();
    Optional<RegionState> state = vigil.recorded();
    if (state.isEmpty()) {
      out.println("No region in " + vigil.stateDir() + " (start one with ./vigil up).");
      return 1;
    }
    RegionState s = state.get();
    out.printf("Region %s, router %s%n", s.region, s.routerUrl);
    out.printf(
        "%-22s %-20s %-8s %-8s %-28s %s%n", "PROCESS", "ROLE", "ZONE", "PID", "ENDPOINT", "STATE");
    boolean allUp = true;
    for (RegionState.Process p : s.processes) {
      String health;
      if (!p.running()) {
        health = "STOPPED";
        allUp = false;
      } else if (p.role().endsWith("-service")) {
        int code = Http.get(p.management() + "/q/health/ready").status();
        health = code == 200 ? "READY" : code < 0 ? "NOT ANSWERING" : "NOT READY (" + code + ")";
        allUp &= code == 200;
      } else {
        health = "RUNNING";
      }
      out.printf(
          "%-22s %-20s %-8s %-8d %-28s %s%n",
          p.name(), p.role(), p.zone() == null ? "-" : p.zone(), p.pid(), p.endpoint(), health);
    }
    return allUp ? 0 : 1;
  }
}
