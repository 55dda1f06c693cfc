package io.vigil.cli;

import io.vigil.cli.command.BackupCommand;
import io.vigil.cli.command.BenchCommand;
import io.vigil.cli.command.DownCommand;
import io.vigil.cli.command.DrillCommand;
import io.vigil.cli.command.RestoreCommand;
import io.vigil.cli.command.StatusCommand;
import io.vigil.cli.command.UpCommand;
import io.vigil.cli.command.ZoneCommand;
import io.vigil.cli.region.RegionState;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code vigil} command for a local region. The {@code vigil} script finds a JDK, installs what
 * is missing and builds before it runs this; {@code ./vigil test} is the script's own (Maven). Each
 * command is a class of its own in {@code io.vigil.cli.command}; picocli parses the arguments.
 *
 * <p>Exit codes: 0 success, 1 failure (a message on standard error), 2 usage error, and a drill
 * that lost acknowledged records answers 2 as well.
 */
@Command(
    name = "./vigil",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    description = "A local Vigil region on this machine: start it, break it, drill it, measure it.",
    subcommands = {
      UpCommand.class,
      StatusCommand.class,
      DownCommand.class,
      ZoneCommand.class,
      DrillCommand.class,
      BackupCommand.class,
      RestoreCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {"", "test [maven args]   the whole test suite (the script runs Maven for it)"})
public final class Vigil implements Runnable {

  @Option(
      names = "--state-dir",
      defaultValue = ".vigil",
      scope = ScopeType.INHERIT,
      description = "where region.json, data and logs live (default: ${DEFAULT-VALUE})")
  private Path stateDir;

  private final PrintStream out;

  Vigil(PrintStream out) {
    this.out = out;
  }

  /** Entry point; exits with the command's code. */
  public static void main(String[] args) {
    System.exit(commandLine(System.out).execute(args));
  }

  /** The command line, its output to {@code out}, errors as {@code vigil: message} (exit 1). */
  public static CommandLine commandLine(PrintStream out) {
    CommandLine line = new CommandLine(new Vigil(out));
    line.setOut(new PrintWriter(out, true));
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof IllegalStateException || e instanceof IllegalArgumentException) {
            cmd.getErr().println("vigil: " + e.getMessage());
          } else {
            cmd.getErr().println("vigil: " + cmd.getCommandName() + " failed: " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
              cmd.getErr().println("  caused by " + c);
            }
          }
          return 1;
        });
    return line;
  }

  /** Without a command: the usage. */
  @Override
  public void run() {
    CommandLine.usage(this, out);
  }

  /** Where the region's state lives, absolute. */
  public Path stateDir() {
    return stateDir.toAbsolutePath();
  }

  /** {@code region.json} of the state directory. */
  public Path regionFile() {
    return stateDir().resolve("region.json");
  }

  /** What the commands print to. */
  public PrintStream out() {
    return out;
  }

  /** The region recorded in the state directory, if any. */
  public Optional<RegionState> recorded() {
    return RegionState.read(regionFile());
  }

  /** The region that is up here, or a clear error. */
  public RegionState region() {
    return recorded()
        .orElseThrow(() -> new IllegalStateException("no region is up here (./vigil up)"));
  }
}
