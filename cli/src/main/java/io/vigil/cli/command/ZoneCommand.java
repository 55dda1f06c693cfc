package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.drill.Zones;
import io.vigil.cli.region.RegionState;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code vigil zone kill|hang|resume|start <zone>}: a zone failure by hand. */
@Command(
    name = "zone",
    description = {
      "kill = SIGKILL, hang = SIGSTOP (accepts, never answers) every process of a zone;"
          + " resume = SIGCONT; start = start its processes again."
    })
public final class ZoneCommand implements Callable<Integer> {

  /** What to do to the zone. */
  enum Action {
    kill,
    hang,
    resume,
    start
  }

  @ParentCommand private Vigil vigil;

  @Parameters(index = "0", description = "kill, hang, resume or start")
  private Action action;

  @Parameters(index = "1", paramLabel = "ZONE", description = "e.g. zone-b")
  private String zone;

  @Override
  public Integer call() {
    RegionState state = vigil.region();
    switch (action) {
      case kill -> Zones.kill(state, zone, vigil.out());
      case hang -> Zones.hang(state, zone, vigil.out());
      case resume -> Zones.resume(state, zone, vigil.out());
      case start -> Zones.start(state, vigil.regionFile(), zone, vigil.out());
    }
    return 0;
  }
}
