package io.vigil.commons.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ApiErrorTest {

  @Test
  void theBodyIsTheOpenScaleErrorFormatWithEveryError() throws Exception {
    ApiError error = ApiError.of("repository_corrupted", "1 of 3 failed").with("artifact", "x");
    JsonNode body = new ObjectMapper().readTree(error.encode());
    assertThat(body.get("trace").asText()).hasSize(36);
    assertThat(body.get("errors")).hasSize(2);
    assertThat(body.at("/errors/0/code").asText()).isEqualTo("repository_corrupted");
    assertThat(body.at("/errors/1/message").asText()).isEqualTo("x");
    assertThat(ApiError.of("a", "b").trace()).isNotEqualTo(ApiError.of("a", "b").trace());
  }

  @Test
  void onlyAnUnavailableAnswerAsksTheClientToRetry() {
    var unavailable = ApiException.unavailable("database_unavailable", "failing over").toResponse();
    assertThat(unavailable.getStatus()).isEqualTo(503);
    assertThat(unavailable.getHeaderString("Retry-After")).isEqualTo("1");
    var notFound = ApiException.notFound("data set", "d1").toResponse();
    assertThat(notFound.getStatus()).isEqualTo(404);
    assertThat(notFound.getHeaderString("Retry-After")).isNull();
    assertThat(((JsonNode) notFound.getEntity()).at("/errors/0/message").asText())
        .isEqualTo("data set 'd1' does not exist");
  }
}
