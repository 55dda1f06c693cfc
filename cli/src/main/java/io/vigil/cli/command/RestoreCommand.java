package io.vigil.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.cli.Vigil;
import io.vigil.cli.region.BackupCalls;
import io.vigil.cli.region.LocalRegion;
import io.vigil.process.Http;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code vigil restore postgres|etcd --into DIR [--id ID | --time ISO-8601]}. */
@Command(
    name = "restore",
    description = {
      "Unpack and verify a recovery point from the repository into DIR (a data directory to start"
          + " PostgreSQL on, or a snapshot for etcdctl snapshot restore)."
    })
public final class RestoreCommand implements Callable<Integer> {

  /** What a restore brings back. */
  enum Target {
    postgres,
    etcd
  }

  /** Which point: a recovery point's id or a time (PostgreSQL replays WAL up to it). */
  static final class Point {
    @Option(names = "--id", description = "a recovery point id (./vigil backup list)")
    String id;

    @Option(names = "--time", description = "an ISO-8601 time (PostgreSQL only)")
    String time;
  }

  @ParentCommand private Vigil vigil;

  @Parameters(index = "0", description = "postgres or etcd")
  private Target target;

  @Option(
      names = "--into",
      required = true,
      paramLabel = "DIR",
      description =
          "a new directory inside the region's restore root (<state dir>/restores; a relative DIR"
              + " is taken inside it)")
  private Path into;

  @ArgGroup(exclusive = true)
  private Point point;

  @Override
  public Integer call() {
    ObjectNode body = new ObjectMapper().createObjectNode();
    body.put("target", target.name());
    Path dir = into.isAbsolute() ? into : LocalRegion.restoreRoot(vigil.stateDir()).resolve(into);
    body.put("directory", dir.toString());
    if (point != null && point.id != null) {
      body.put("recovery_point", point.id);
    }
    if (point != null && point.time != null) {
      body.put("time", point.time);
    }
    String endpoint = BackupCommand.endpoints(vigil.region()).get(0);
    Http.Response r =
        BackupCalls.restore(
            vigil.region().operator(), endpoint, body.toString(), Duration.ofMinutes(60));
    if (r.status() != 201) {
      throw new IllegalStateException("restore failed (" + r.status() + "): " + r.body());
    }
    vigil.out().println(r.body());
    return 0;
  }
}
