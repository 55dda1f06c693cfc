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
      TemporalAccessor t =
          DateTimeFormatter.ISO_DATE_TIME.parseBest(
              text.length() > 10 && text.charAt(10) == ' '
                  ? text.substring(0, 10) + 'T' + text.substring(11)
                  : text,
              OffsetDateTime::from,
              LocalDateTime::from);
      at =
          t instanceof OffsetDateTime o
              ? o.toInstant()
              : ((LocalDateTime) t).toInstant(ZoneOffset.UTC);
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
}
