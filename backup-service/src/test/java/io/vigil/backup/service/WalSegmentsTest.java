package io.vigil.backup.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partial segment is stored without its zero-filled tail and padded back to the same bytes. */
class WalSegmentsTest {

  @TempDir Path dir;

  @Test
  void thePartialSegmentShipsOnlyItsWrittenPagesAndPadsBackToTheSameBytes() throws Exception {
    Path partial = dir.resolve("000000010000000000000003.partial");
    byte[] written = new byte[10_000 + 3 * 8192];
    Arrays.fill(written, (byte) 7);
    written[written.length - 1] = 0; // a zero byte inside the last written page stays
    try (RandomAccessFile f = new RandomAccessFile(partial.toFile(), "rw")) {
      f.setLength(16L * 1024 * 1024);
      f.write(written);
    }
    Path shipped = dir.resolve("shipped");
    WalSegments.copyWritten(partial, shipped);
    // whole pages up to and including the last one holding WAL
    assertThat(Files.size(shipped)).isEqualTo(5 * 8192);

    WalSegments.padSegment(shipped);
    assertThat(Files.size(shipped)).isEqualTo(16L * 1024 * 1024);
    assertThat(Files.mismatch(partial, shipped)).isEqualTo(-1);
  }

  @Test
  void anEmptyPartialShipsNothing() throws Exception {
    Path partial = dir.resolve("000000010000000000000004.partial");
    try (RandomAccessFile f = new RandomAccessFile(partial.toFile(), "rw")) {
      f.setLength(16L * 1024 * 1024);
    }
    Path shipped = dir.resolve("shipped-empty");
    WalSegments.copyWritten(partial, shipped);
    assertThat(Files.size(shipped)).isZero();
  }

  @Test
  void theValidEndOfACopyIsWherePgWaldumpFoundNoFurtherRecord() {
    long segment = io.vigil.commons.postgres.WalPosition.parseLsn("0/A000000");
    // a zero tail after the last record (the usual end of a partial segment)
    assertThat(
            WalSegments.validEnd(
                "pg_waldump: error: error in WAL record at 0/A39D3D0: invalid record length at"
                    + " 0/A39D3F8: wanted 24, got 0\n",
                segment))
        .isEqualTo(io.vigil.commons.postgres.WalPosition.parseLsn("0/A39D3F8"));
    // a torn record: its checksum fails where it begins, the end of the last valid one
    assertThat(
            WalSegments.validEnd(
                "pg_waldump: error: error in WAL record at 0/A000028: incorrect resource manager"
                    + " data checksum in record at 0/A000060\n",
                segment))
        .isEqualTo(0xA000060L);
    // a page that is not WAL yet: the valid WAL ends at that page at the latest
    assertThat(
            WalSegments.validEnd(
                "pg_waldump: error: error in WAL record at 0/A001F90: invalid magic number 0000 in"
                    + " log segment 00000001000000000000000A, offset 8192\n",
                segment))
        .isEqualTo(0xA000000L + 8192);
    // anything else: no further than the start of the last valid record
    assertThat(
            WalSegments.validEnd(
                "pg_waldump: error: error in WAL record at 0/A001F90: out of memory\n", segment))
        .isEqualTo(0xA001F90L);
    // no valid record at all
    assertThat(
            WalSegments.validEnd(
                "pg_waldump: error: could not find a valid record after 0/A000000\n", segment))
        .isNull();
  }

  @Test
  void walPositionsCompareOnlyOnOneTimeline() {
    var p = io.vigil.commons.postgres.WalPosition.parse("2@0/A39D3F8");
    assertThat(p.timeline()).isEqualTo(2);
    assertThat(p.toString()).isEqualTo("2@0/A39D3F8");
    assertThat(p.covers(io.vigil.commons.postgres.WalPosition.parse("2@0/A39D3F8"))).isTrue();
    assertThat(p.covers(io.vigil.commons.postgres.WalPosition.parse("2@0/A39D400"))).isFalse();
    // a later timeline's position does not vouch for an earlier timeline's WAL past the switch
    assertThat(p.covers(io.vigil.commons.postgres.WalPosition.parse("1@0/A000000"))).isFalse();
    assertThat(p.isAfter(io.vigil.commons.postgres.WalPosition.parse("1@1/0"))).isTrue();
    assertThat(io.vigil.commons.postgres.WalPosition.parse("1@1/0").isAfter(p)).isFalse();
    assertThat(io.vigil.commons.postgres.WalPosition.parseLsn("1/10")).isEqualTo((1L << 32) + 16);
  }
}
