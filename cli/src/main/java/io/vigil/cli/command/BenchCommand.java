package io.vigil.cli.command;

import io.vigil.cli.Vigil;
import io.vigil.cli.bench.BackupBenchmark;
import io.vigil.cli.bench.IngestBenchmark;
import io.vigil.cli.bench.RouterBenchmark;
import io.vigil.cli.bench.StartupBenchmark;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vigil bench ...}: the benchmarks, each measured side by side in one run (Vigil, the peer,
 * the floor) with a table and a machine-readable last line.
 */
@Command(name = "bench", description = "Benchmarks, side by side in one run.")
public final class BenchCommand {

  @ParentCommand private Vigil vigil;

  @Command(
      name = "startup",
      description = "Time to ready and memory of each service, plain JVM vs AOT cache.")
  int startup(@Option(names = "--runs", defaultValue = "5") int runs) {
    StartupBenchmark.run(vigil.stateDir(), runs, vigil.out());
    return 0;
  }

  @Command(
      name = "ingest",
      description = "Payload ingest through the API vs raw COPY; monitor runs over N records.")
  int ingest(
      @Option(names = "--records", defaultValue = "20000") int records,
      @Option(names = "--run-records", defaultValue = "1000000") int runRecords)
      throws Exception {
    IngestBenchmark.run(vigil.stateDir(), records, runRecords, vigil.out());
    return 0;
  }

  @Command(
      name = "router",
      description = "Router vs HAProxy vs direct (wrk), then a zone killed and hung under load.")
  int router(@Option(names = "--seconds", defaultValue = "10") long seconds) throws Exception {
    RouterBenchmark.run(vigil.stateDir(), Duration.ofSeconds(seconds), vigil.out());
    return 0;
  }

  @Command(
      name = "backup",
      description =
          "Base backup vs raw pg_basebackup of the same database, restore time, data at risk"
              + " (RPO exposure) under steady writes.")
  int backup(
      @Option(names = "--size-mb", defaultValue = "1024") int sizeMb,
      @Option(names = "--risk-seconds", defaultValue = "30") int riskSeconds)
      throws Exception {
    BackupBenchmark.run(vigil.stateDir(), sizeMb, riskSeconds, vigil.out());
    return 0;
  }
}
