package io.vigil.commons.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void refusesWhatPostgresOrADoubleCannotHoldAndSaysWhere() {
    assertThatThrownBy(() -> Json.parse("{\"a\": [1, {\"b\": \"x\\u0000y\"}]}"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("the string at $.a[1].b contains a NUL character");
    assertThatThrownBy(() -> Json.parse("[{\"n\": 1}, {\"n\": 1e400}]"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("the number at $[1].n is out of range");
    assertThatThrownBy(() -> Json.parse("{\"a\": {\"k\\u0000\": 1}}"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("a field name in $.a contains a NUL character");
    assertThat(Json.parse("{\"a\": [1, 2.5, \"x\", null, true, {\"b\": []}]}").path("a").size())
        .isEqualTo(6);
  }
}
