package io.vigil.backup.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partial segment is stored without its zero-filled tail and padded back to the same bytes. */
class WalSegmentFilesTest {

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
    WalArchiver.copyWritten(partial, shipped);
    // whole pages up to and including the last one holding WAL
    assertThat(Files.size(shipped)).isEqualTo(5 * 8192);

    WalArchiver.padSegment(shipped);
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
    WalArchiver.copyWritten(partial, shipped);
    assertThat(Files.size(shipped)).isZero();
  }
}
