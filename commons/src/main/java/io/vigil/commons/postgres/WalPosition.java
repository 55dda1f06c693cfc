package io.vigil.commons.postgres;

/**
 * A position in a PostgreSQL cluster's WAL: a timeline and an LSN on it, written {@code
 * {timeline}@{lsn}} (e.g. {@code 2@0/A39D3F8}). Positions of different timelines are not compared
 * by LSN: after a failover the new timeline's history may have left the old one's tail behind.
 *
 * @param timeline the timeline
 * @param lsn the byte position in the WAL
 */
public record WalPosition(int timeline, long lsn) {

  /**
   * Asks a PostgreSQL primary how far its WAL is flushed: the LSN, and the WAL file name holding it
   * (whose first eight hex digits are the timeline); {@link #of} reads the answer.
   */
  public static final String FLUSHED_QUERY =
      "SELECT pg_current_wal_flush_lsn()::text, pg_walfile_name(pg_current_wal_flush_lsn())";

  /** The position of {@code lsn} in the WAL file {@code walFile} (named by its timeline first). */
  public static WalPosition of(String lsn, String walFile) {
    return new WalPosition(Integer.parseInt(walFile.substring(0, 8), 16), parseLsn(lsn));
  }

  /** Parses an LSN such as {@code 0/A39D3F8}. */
  public static long parseLsn(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not an LSN: " + text);
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  /** Writes an LSN as PostgreSQL does. */
  public static String formatLsn(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }

  /** Parses {@code {timeline}@{lsn}}. */
  public static WalPosition parse(String text) {
    int at = text.indexOf('@');
    if (at < 0) {
      throw new IllegalArgumentException("not a WAL position: " + text);
    }
    return new WalPosition(
        Integer.parseInt(text.substring(0, at).strip()), parseLsn(text.substring(at + 1).strip()));
  }

  /** Whether everything up to {@code other} is at or before this position on the same timeline. */
  public boolean covers(WalPosition other) {
    return timeline == other.timeline && lsn >= other.lsn;
  }

  /** Whether this position is later: a later timeline, or further on the same one. */
  public boolean isAfter(WalPosition other) {
    return timeline != other.timeline ? timeline > other.timeline : lsn > other.lsn;
  }

  @Override
  public String toString() {
    return timeline + "@" + formatLsn(lsn);
  }
}
