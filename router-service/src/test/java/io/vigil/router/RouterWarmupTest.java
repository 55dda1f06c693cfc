package io.vigil.router;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vigil.testkit.EtcdResource;
import io.vigil.testkit.Management;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A fresh router warms its forwarding path up through its own port before it reports ready, and
 * nothing of the warm-up is visible after it: not in the metrics, and no client can send a request
 * to the warm-up's target.
 */
@QuarkusTest
@TestProfile(RouterWarmupTest.Warm.class)
@QuarkusTestResource(value = EtcdResource.class, restrictToAnnotatedClass = true)
class RouterWarmupTest {

  /** A short warm-up. */
  public static class Warm implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("vigil.router.warmup.duration", "1s", "vigil.router.warmup.connections", "4");
    }
  }

  @Test
  void readyOnlyAfterTheWarmUpWhichLeavesNoTrace() {
    String[] outcome = new String[1];
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                outcome[0] =
                    Management.given()
                        .get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .extract()
                        .path("checks.find { it.name == 'topology' }.data.'warm-up'"));
    // GETs and both kinds of POST went through the router's own routes to its own target, and
    // none was refused (how many fit in the second depends on the machine: not asserted)
    Matcher m =
        Pattern.compile(
                "^\\d+ requests in [0-9.]+ s \\(GET (\\d+), POST (\\d+), POST with Idempotency-Key"
                    + " (\\d+)\\)$")
            .matcher(outcome[0]);
    assertThat(m.find()).as(outcome[0]).isTrue();
    for (int kind = 1; kind <= 3; kind++) {
      assertThat(Long.parseLong(m.group(kind))).as(outcome[0]).isPositive();
    }

    // on Linux x86-64 (here and CI) the router runs on Netty's native epoll transport
    boolean epollBuilt =
        System.getProperty("os.name").equals("Linux")
            && System.getProperty("os.arch").equals("amd64");
    assertThat(
            Management.given()
                .get("/q/health/ready")
                .then()
                .extract()
                .<String>path("checks.find { it.name == 'topology' }.data.transport"))
        .isEqualTo(epollBuilt ? "epoll" : "nio");

    String metrics =
        Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics).doesNotContain("zone=\"warmup\"");

    // the token is gone: a request claiming to be the warm-up goes where any other would (no
    // instance serves here, so the router answers 503 itself)
    given()
        .header("Vigil-Warmup", "0".repeat(48))
        .get("/openscale/x/v2/subscriptions")
        .then()
        .statusCode(503)
        .header("Vigil-Zone", (String) null);
  }
}
