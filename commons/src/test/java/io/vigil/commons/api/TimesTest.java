package io.vigil.commons.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

class TimesTest {

  @Test
  void readsIsoWithOrWithoutAZoneAndPythonsStrOfADatetime() {
    OffsetDateTime expected = OffsetDateTime.parse("2026-11-22T18:40:41.374686Z");
    assertThat(Times.parse("t", "2026-11-22T18:40:41.374686Z")).isEqualTo(expected);
    assertThat(Times.parse("t", "2026-11-22T19:40:41.374686+01:00")).isEqualTo(expected);
    assertThat(Times.parse("t", "2026-11-22T18:40:41.374686")).isEqualTo(expected);
    assertThat(Times.parse("t", "2026-11-22 18:40:41.374686")).isEqualTo(expected);
    assertThat(Times.parse("t", " 2026-11-22 18:40:41.374686 ")).isEqualTo(expected);
  }

  @Test
  void refusesTimesOutsideTheYears1970To9999AndWhatIsNoTime() {
    assertThat(Times.parse("t", "1970-01-01T00:00:00Z").toInstant()).isEqualTo(Times.MIN);
    assertThat(Times.parse("t", "9999-12-31T23:59:59Z").getYear()).isEqualTo(9999);
    for (String bad :
        new String[] {
          "+300000-01-01T00:00:00Z",
          "-300000-01-01T00:00:00Z",
          "1969-12-31T23:59:59Z",
          "+10000-01-01T00:00:00Z",
          "2026-02-30T00:00:00Z",
          "yesterday",
          "",
          null
        }) {
      assertThatThrownBy(() -> Times.parse("start", bad))
          .as(bad)
          .isInstanceOf(ApiException.class)
          .hasMessageContaining("'start'");
    }
  }

  /** The hand-read common shape answers what the ISO formatter answers, or leaves it to it. */
  @Test
  void theFastPathAgreesWithTheFormatter() {
    String[] read = {
      "2026-11-22T18:40:41Z",
      "2026-11-22T18:40:41.3Z",
      "2026-11-22T18:40:41.374686",
      "2026-11-22 18:40:41.123456789",
      "2026-11-22T18:40:41-05:30",
      "2026-11-22T18:40:41.5+14:00",
      "2024-02-29T23:59:59Z",
      "1970-01-01T00:00:00-00:00"
    };
    for (String t : read) {
      assertThat(Times.plain(t)).as(t).isNotNull().isEqualTo(Times.parse("t", t).toInstant());
      assertThat(Times.plain(t))
          .as(t)
          .isEqualTo(
              java.time.format.DateTimeFormatter.ISO_DATE_TIME.parseBest(
                          t.replace(' ', 'T'), OffsetDateTime::from, java.time.LocalDateTime::from)
                      instanceof OffsetDateTime o
                  ? o.toInstant()
                  : java.time.LocalDateTime.parse(t.replace(' ', 'T'))
                      .toInstant(java.time.ZoneOffset.UTC));
    }
    // other shapes go to the formatter (which reads or refuses them)
    for (String t :
        new String[] {
          "2026-11-22T18:40Z",
          "2026-11-22T18:40:41.1234567891Z",
          "2026-11-22T18:40:41+0530",
          "2026-11-22T18:40:41Z[UTC]",
          "2026-11-22T18:40:41."
        }) {
      assertThat(Times.plain(t)).as(t).isNull();
    }
    assertThat(Times.parse("t", "2026-11-22T18:40Z").toInstant())
        .isEqualTo(java.time.Instant.parse("2026-11-22T18:40:00Z"));
    // a shape that fits but names no time is refused, as by the formatter
    for (String bad :
        new String[] {
          "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T18:40:41+19:00"
        }) {
      assertThatThrownBy(() -> Times.parse("t", bad)).as(bad).isInstanceOf(ApiException.class);
    }
  }
}
