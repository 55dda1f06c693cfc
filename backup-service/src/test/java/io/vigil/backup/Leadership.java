package io.vigil.backup;

import static io.vigil.testkit.Operator.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

/** The backup election runs in the background after start: tests that take backups wait for it. */
final class Leadership {

  private Leadership() {}

  /** Waits until the instance under test leads its region's backups. */
  static void awaitLeading() {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Boolean.TRUE.equals(
                    given().get("/backups/status").then().extract().path("leader")));
  }
}
