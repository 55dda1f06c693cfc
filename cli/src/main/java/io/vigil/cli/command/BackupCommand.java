package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.region.BackupCalls;
import io.vigil.cli.region.RegionState;
import io.vigil.process.Http;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code vigil backup now|list}: backups through the region's backup leader. */
@Command(name = "backup", description = "Back up now, or list the recovery points.")
public final class BackupCommand {

  /** What {@code backup now} backs up. */
  enum Target {
    postgres,
    etcd,
    all
  }

  @ParentCommand private Vigil vigil;

  @Command(
      name = "now",
      description = "Back up now through the region's backup leader; prints the recovery points.")
  int now(
      @Parameters(arity = "0..1", defaultValue = "all", description = "postgres, etcd or all")
          Target what) {
    PrintStream out = vigil.out();
    List<String> endpoints = endpoints(vigil.region());
    List<String> targets = what == Target.all ? List.of("etcd", "postgres") : List.of(what.name());
    for (String target : targets) {
      boolean done = false;
      for (String e : endpoints) {
        out.printf("Backing up %s through %s ...%n", target, e);
        Http.Response r =
            BackupCalls.backup(vigil.region().operator(), e, target, Duration.ofMinutes(30));
        if (r.status() == 201) {
          out.println("  " + r.body());
          done = true;
          break;
        }
        if (r.status() == 409 && r.body().contains("not_leader")) {
          continue;
        }
        throw new IllegalStateException(
            target + " backup failed (" + r.status() + "): " + r.body());
      }
      if (!done) {
        throw new IllegalStateException("no backup-service of the region leads the backups");
      }
    }
    return 0;
  }

  @Command(name = "list", description = "Recovery points and recovery window per target.")
  int list() {
    List<String> endpoints = endpoints(vigil.region());
    for (String e : endpoints) {
      Http.Response r = vigil.region().operator().read(e + "/backups", Duration.ofSeconds(30));
      if (r.status() == 200) {
        vigil.out().println(r.body());
        return 0;
      }
    }
    throw new IllegalStateException("no backup-service answered " + endpoints);
  }

  /** The region's backup-service endpoints. */
  static List<String> endpoints(RegionState state) {
    List<String> endpoints =
        state.processes.stream()
            .filter(p -> p.role().equals("backup-service"))
            .map(RegionState.Process::endpoint)
            .toList();
    if (endpoints.isEmpty()) {
      throw new IllegalStateException("the region has no backup-service");
    }
    return endpoints;
  }
}
