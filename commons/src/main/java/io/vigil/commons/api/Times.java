package io.vigil.commons.api;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;

/**
 * Times in requests, read one way everywhere: ISO-8601 with an offset or {@code Z}, or without one
 * (taken as UTC), with {@code T} or a space between date and time — Python's {@code str(datetime)},
 * {@code 2026-11-22 18:40:41.374686}, is what IBM's SDK sends. Only years 1970 to 9999 are times a
 * monitored model can have; anything else is a 400 naming the field.
 */
public final class Times {

  /** The earliest time a request may name. */
  public static final Instant MIN = Instant.parse("1970-01-01T00:00:00Z");

  /** The latest time a request may name. */
  public static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999999Z");

  private Times() {}

  /**
   * Parses {@code value}.
   *
   * @param name how the request names it, for the error message
   */
  public static OffsetDateTime parse(String name, String value) {
    String text = value == null ? "" : value.trim();
    Instant at;
    try {
      at = plain(text);
      if (at == null) {
        at = iso(text);
      }
    } catch (DateTimeException e) {
      throw ApiException.badRequest(
          "'" + name + "' must be an ISO-8601 time such as 2026-01-31T12:00:00Z");
    }
    if (at.isBefore(MIN) || at.isAfter(MAX)) {
      throw ApiException.badRequest(
          "'" + name + "' must be a time between the years 1970 and 9999");
    }
    return at.atOffset(ZoneOffset.UTC);
  }

  /**
   * The common shape read by hand — {@code yyyy-MM-dd(T| )HH:mm:ss[.f{1,9}][Z|±HH:MM]} — since the
   * formatter's optional sections cost microseconds per value, and a store of a thousand records
   * has a thousand of them. Null for any other shape (the formatter reads it); a shape that matches
   * but names no real time (month 13, February 30) throws like the formatter.
   */
  static Instant plain(String t) {
    int n = t.length();
    if (n < 19
        || t.charAt(4) != '-'
        || t.charAt(7) != '-'
        || (t.charAt(10) != 'T' && t.charAt(10) != ' ')
        || t.charAt(13) != ':'
        || t.charAt(16) != ':') {
      return null;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 7);
    int day = digits(t, 8, 10);
    int hour = digits(t, 11, 13);
    int minute = digits(t, 14, 16);
    int second = digits(t, 17, 19);
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (i < n && t.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
        nanos = nanos * 10 + (t.charAt(i++) - '0');
      }
      if (i == start) {
        return null;
      }
      for (int k = i - start; k < 9; k++) {
        nanos *= 10;
      }
    }
    int offsetSeconds = 0;
    if (i < n) {
      char c = t.charAt(i);
      if (c == 'Z' && i + 1 == n) {
        i++;
      } else if ((c == '+' || c == '-') && i + 6 == n && t.charAt(i + 3) == ':') {
        int oh = digits(t, i + 1, i + 3);
        int om = digits(t, i + 4, i + 6);
        if ((oh | om) < 0) {
          return null;
        }
        offsetSeconds = (c == '-' ? -1 : 1) * ZoneOffset.ofHoursMinutes(oh, om).getTotalSeconds();
        i = n;
      } else {
        return null;
      }
    }
    return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
        .toInstant(ZoneOffset.ofTotalSeconds(offsetSeconds));
  }

  /** The digits of t[from, to) as a number, or -1 when one is not a digit. */
  private static int digits(String t, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** Every other ISO-8601 shape, through the formatter. */
  private static Instant iso(String text) {
    TemporalAccessor t =
        DateTimeFormatter.ISO_DATE_TIME.parseBest(
            text.length() > 10 && text.charAt(10) == ' '
                ? text.substring(0, 10) + 'T' + text.substring(11)
                : text,
            OffsetDateTime::from,
            LocalDateTime::from);
    return t instanceof OffsetDateTime o
        ? o.toInstant()
        : ((LocalDateTime) t).toInstant(ZoneOffset.UTC);
  }
}
