package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's parsing and exit codes, without a region. */
class VigilTest {

  @TempDir Path stateDir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine line = Vigil.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8));
    line.setErr(new PrintWriter(err, true));
    return line.execute(args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void withoutACommandItPrintsEveryCommand() {
    assertThat(run()).isZero();
    assertThat(out())
        .contains("up", "status", "down", "zone", "drill", "backup", "restore", "bench");
  }

  @Test
  void anUnknownZoneActionIsAUsageError() {
    assertThat(run("zone", "explode", "zone-b")).isEqualTo(2);
    assertThat(err.toString()).contains("explode").contains("kill, hang, resume, start");
  }

  @Test
  void aRestoreNeedsADirectoryAndTakesEitherAnIdOrATime() {
    assertThat(run("restore", "postgres")).isEqualTo(2);
    assertThat(err.toString()).contains("--into");
    assertThat(run("restore", "postgres", "--into", "x", "--id", "a", "--time", "b")).isEqualTo(2);
    assertThat(err.toString()).contains("mutually exclusive");
  }

  @Test
  void statusAndDownWithoutARegionSaySoAndZoneFailsWithAMessage() throws Exception {
    String dir = stateDir.toString();
    assertThat(run("status", "--state-dir", dir)).isEqualTo(1);
    assertThat(out()).contains("No region in " + dir);
    assertThat(run("down", "--state-dir", dir)).isZero();
    assertThat(run("zone", "kill", "zone-b", "--state-dir", dir)).isEqualTo(1);
    assertThat(err.toString()).contains("vigil: no region is up here");
    assertThat(Files.list(stateDir)).isEmpty();
  }

  @Test
  void everySubcommandHasHelp() {
    assertThat(run("drill", "zone-loss", "--help")).isZero();
    assertThat(out()).contains("--zone", "--hang", "--seconds");
    assertThat(run("bench", "--help")).isZero();
    assertThat(out()).contains("startup", "ingest", "router", "backup");
  }
}
