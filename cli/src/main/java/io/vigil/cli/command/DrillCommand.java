package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.drill.Failure;
import io.vigil.cli.drill.LoadDrill;
import io.vigil.cli.drill.RegionLoss;
import java.io.PrintStream;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vigil drill ...}: load through the router, a failure, then a report — failed requests,
 * lost acknowledged records, time to recover. Exit 2 when an acknowledged record was lost.
 */
@Command(
    name = "drill",
    description = "Load through the router, one failure, then a report.",
    subcommandsRepeatable = false)
public final class DrillCommand {

  @ParentCommand private Vigil vigil;

  @Option(
      names = "--seconds",
      defaultValue = "30",
      scope = picocli.CommandLine.ScopeType.INHERIT,
      description = "how long the load runs (default: ${DEFAULT-VALUE})")
  private long seconds;

  @Command(name = "zone-loss", description = "A zone killed (or hung) under load.")
  int zoneLoss(
      @Option(names = "--zone", defaultValue = "zone-b", description = "default: ${DEFAULT-VALUE}")
          String zone,
      @Option(names = "--hang", description = "SIGSTOP instead of SIGKILL") boolean hang) {
    return run(hang ? Failure.zoneHung(zone) : Failure.zoneKilled(zone));
  }

  @Command(name = "patroni-leader", description = "The Patroni leader's member killed.")
  int patroniLeader() {
    return run(Failure.patroniLeader());
  }

  @Command(name = "etcd-member", description = "One etcd member killed.")
  int etcdMember(
      @Option(
              names = "--member",
              defaultValue = "etcd-2",
              description = "default: ${DEFAULT-VALUE}")
          String member) {
    return run(Failure.etcdMember(member));
  }

  @Command(name = "backup-leader", description = "The backup leader killed mid-backup.")
  int backupLeader() {
    return run(Failure.backupLeader());
  }

  @Command(
      name = "region-loss",
      description = "The whole region lost; restored and served in the standby (needs up --dr).")
  int regionLoss() {
    return run(new RegionLoss(vigil.stateDir()));
  }

  private int run(Failure failure) {
    PrintStream out = vigil.out();
    try {
      LoadDrill.Report report =
          LoadDrill.run(
              vigil.region(), vigil.regionFile(), failure, Duration.ofSeconds(seconds), out);
      out.println();
      out.println(LoadDrill.Report.header());
      out.println(report.row());
      return report.lost() == 0 ? 0 : 2;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("the drill failed: " + e, e);
    }
  }
}
