package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.region.RegionShutdown;
import io.vigil.cli.region.RegionState;
import io.vigil.process.Workspace;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code vigil down}: stops every process of the region; its logs stay. */
@Command(name = "down", description = "Stop every process of the region.")
public final class DownCommand implements Callable<Integer> {

  @ParentCommand private Vigil vigil;

  @Override
  public Integer call() {
    PrintStream out = vigil.out();
    Optional<RegionState> state = vigil.recorded();
    if (state.isEmpty()) {
      out.println("No region state in " + vigil.stateDir() + ": nothing to stop.");
      return 0;
    }
    out.println("Stopping the local region");
    List<RegionState.Process> left = RegionShutdown.stop(state.get(), out);
    if (!left.isEmpty()) {
      left.forEach(p -> out.println("  still running: " + p.name() + " pid " + p.pid()));
      return 1;
    }
    Workspace.deleteTree(vigil.stateDir().resolve("data"));
    out.println(
        "Stopped; no process is left. Logs stay in " + vigil.stateDir().resolve("logs") + ".");
    return 0;
  }
}
