package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.region.LocalRegion;
import io.vigil.cli.region.RegionState;
import io.vigil.process.QuarkusService;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code vigil up}: starts a local region and prints where everything is. */
@Command(
    name = "up",
    description = {
      "Start a local region: etcd, PostgreSQL (Patroni), S3Proxy, a monitoring-service and a"
          + " backup-service per zone, the router."
    })
public final class UpCommand implements Callable<Integer> {

  @ParentCommand private Vigil vigil;

  @Option(
      names = "--dr",
      description = "add the standby region us-east behind the router's region failover")
  private boolean dr;

  @Option(
      names = "--no-aot",
      description = "start the services on the plain JVM, without the AOT cache")
  private boolean noAot;

  @Option(
      names = "--no-patroni",
      description = "a single PostgreSQL instead of the Patroni cluster")
  private boolean noPatroni;

  @Override
  public Integer call() {
    Path stateDir = vigil.stateDir();
    Path file = vigil.regionFile();
    Optional<RegionState> existing = vigil.recorded();
    if (existing.isPresent() && !existing.get().running().isEmpty()) {
      throw new IllegalStateException(
          "a region is already running from "
              + stateDir
              + " ("
              + existing.get().running().size()
              + " processes); see ./vigil status, or stop it with ./vigil down");
    }
    if (existing.isPresent()) {
      // a new region: nothing of the last one may mix into its data or backups
      for (String dir : List.of("data", "dr-backups", "wal-spool", "backup-staging")) {
        Workspace.deleteTree(stateDir.resolve(dir));
      }
    }
    try {
      Files.createDirectories(stateDir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + stateDir + ": " + e.getMessage());
    }
    PrintStream out = vigil.out();
    out.println("Starting a local region (state in " + stateDir + ")");
    RegionState state =
        new LocalRegion(
                new LocalRegion.Options(
                    stateDir,
                    "us-south",
                    List.of("zone-a", "zone-b", "zone-c"),
                    noAot ? QuarkusService.Aot.OFF : QuarkusService.Aot.AUTO,
                    !noPatroni,
                    dr ? "us-east" : null),
                out)
            .up();
    out.println();
    out.println("  Monitoring API:    " + state.apiUrl + "  (through the router)");
    out.println(
        "  Console:           "
            + state.routerUrl
            + "/console/  (sign in with operatorKey for the region, apiKey and the service"
            + " instance "
            + state.apiUrl.replaceAll(".*/openscale/([^/]+)/v2", "$1")
            + " for its models)");
    // keys are never printed: they are in region.json, readable by its owner only
    Path keys = stateDir.resolve("region.json");
    out.println(
        "  Keys:              "
            + keys
            + " (mode 0600): apiKey (the demo tenant), operatorKey (/admin/v1, /routing,"
            + " /backups, /restores), readerKey (their GETs)");
    out.println("  Router:            " + state.routerUrl);
    out.println("  etcd:              " + state.etcdEndpoints);
    out.println("  PostgreSQL:        " + state.postgresUrl + "  (user postgres)");
    out.println("  Data layer:        " + state.dataLayer);
    out.println("  S3 storage:        " + state.s3Endpoint);
    if (state.standbyRegion != null) {
      out.println(
          "  Standby region:    "
              + state.standbyRegion
              + " (router "
              + state.standbyRouterUrl
              + ", repository "
              + state.standbyRepository
              + ")");
    }
    out.println("  Every endpoint:    " + file);
    out.println("  Logs:              " + stateDir.resolve("logs"));
    out.println();
    out.println("Stop it with ./vigil down; see it with ./vigil status.");
    return 0;
  }
}
