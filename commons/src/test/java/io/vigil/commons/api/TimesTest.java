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
}
