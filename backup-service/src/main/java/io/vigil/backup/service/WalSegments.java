package io.vigil.backup.service;

import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.commons.postgres.WalPosition;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WAL files as PostgreSQL names and lays them out: segments ({@code 000000010000000000000003}), the
 * partial segment {@code pg_receivewal} is writing ({@code ….partial}), timeline history files;
 * their positions, how the written part of a partial segment is cut and padded back, and how the
 * valid end of a copy is read from {@code pg_waldump}. Plain functions, no I/O beyond the file
 * given.
 */
public final class WalSegments {

  /** A complete segment's name. */
  static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");

  /** The segment being written, in the spool. */
  static final Pattern PARTIAL = Pattern.compile("[0-9A-F]{24}\\.partial");

  /** A timeline history file. */
  static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");

  /** A WAL segment's size (PostgreSQL's default). */
  static final long SEGMENT_SIZE = 16L * 1024 * 1024;

  private static final int PAGE = 8192;
  private static final Pattern WALDUMP_ERROR =
      Pattern.compile("error in WAL record at ([0-9A-F]+/[0-9A-F]+): (.*)");
  private static final Pattern AT_LSN = Pattern.compile("at ([0-9A-F]+/[0-9A-F]+)");
  private static final Pattern AT_OFFSET = Pattern.compile("in log segment \\S+, offset (\\d+)");

  private WalSegments() {}

  /**
   * Orders archived copies of the same WAL file, the one to restore last: a complete segment over
   * any partial copy, then the partial copy with more WAL, then the later one.
   */
  public static final Comparator<RecoveryPoint> NEWER_COPY =
      Comparator.comparing((RecoveryPoint p) -> p.id().endsWith(".partial") ? 0 : 1)
          .thenComparingLong(RecoveryPoint::size)
          .thenComparing(RecoveryPoint::time);

  /**
   * The repository id of the copy of the partial segment {@code segment} shipped at {@code time}:
   * every copy has a key of its own, so no stored artifact is ever overwritten.
   */
  static String partialId(String segment, Instant time) {
    return segment + "." + time.toEpochMilli() + ".partial";
  }

  /** The WAL file an archived id restores as: the segment of a partial copy, else the id itself. */
  public static String walFile(String id) {
    return id.endsWith(".partial") ? id.substring(0, 24) : id;
  }

  /** Sort key of a segment name: log and segment number, then timeline. */
  static String position(String name) {
    return name.substring(8, 24) + name.substring(0, 8);
  }

  /** Start LSN of a segment, e.g. {@code 0/3000000}. */
  static String startLsn(String segment) {
    long log = Long.parseLong(segment.substring(8, 16), 16);
    long seg = Long.parseLong(segment.substring(16, 24), 16);
    long lsn = (log << 32) + seg * SEGMENT_SIZE;
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }

  /**
   * Copies the written part of a partial segment: pg_receivewal pre-fills a segment with zeros, so
   * whole pages of zeros at the end are not WAL yet ({@link #padSegment} puts them back).
   */
  static void copyWritten(Path partial, Path to) throws IOException {
    try (FileChannel in = FileChannel.open(partial, StandardOpenOption.READ);
        FileChannel out =
            FileChannel.open(
                to,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      long end = in.size() - in.size() % PAGE;
      ByteBuffer page = ByteBuffer.allocate(PAGE);
      while (end > 0) {
        page.clear();
        in.read(page, end - PAGE);
        boolean zero = true;
        for (int i = 0; i < PAGE && zero; i++) {
          zero = page.get(i) == 0;
        }
        if (!zero) {
          break;
        }
        end -= PAGE;
      }
      long copied = 0;
      while (copied < end) {
        copied += in.transferTo(copied, end - copied, out);
      }
    }
  }

  /** Extends a segment copied without its zero tail back to the segment size. */
  public static void padSegment(Path segment) throws IOException {
    if (Files.size(segment) < SEGMENT_SIZE) {
      try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
        f.setLength(SEGMENT_SIZE);
      }
    }
  }

  /**
   * Reads the end of the valid WAL from what {@code pg_waldump} said when it stopped: the position
   * its error names (the record it could not read begins where the last valid one ended), the page
   * whose header is not WAL, or — failing both — the start of the last valid record. Null when it
   * names none.
   */
  static Long validEnd(String waldump, long segmentStart) {
    Matcher m = WALDUMP_ERROR.matcher(waldump);
    if (!m.find()) {
      return null;
    }
    Matcher at = AT_LSN.matcher(m.group(2));
    if (at.find()) {
      return WalPosition.parseLsn(at.group(1));
    }
    Matcher offset = AT_OFFSET.matcher(m.group(2));
    if (offset.find()) {
      return segmentStart + Long.parseLong(offset.group(1));
    }
    return WalPosition.parseLsn(m.group(1));
  }
}
