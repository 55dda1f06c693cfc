package io.vigil.testkit;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Requests to the management interface of the application under test, where its {@code /q/*}
 * (health, metrics, OpenAPI) is served: a port of its own, not the API's.
 */
public final class Management {

  private Management() {}

  /**
   * The port the management interface listens on: in a {@code @QuarkusTest} the test port Quarkus
   * writes back once it listens; against a packaged application ({@code @QuarkusIntegrationTest})
   * the configured port it runs with.
   */
  public static int port() {
    var config = ConfigProvider.getConfig();
    int test = config.getOptionalValue("quarkus.management.test-port", Integer.class).orElse(0);
    return test > 0 ? test : config.getValue("quarkus.management.port", Integer.class);
  }

  /** A request to the management interface. */
  public static RequestSpecification given() {
    return RestAssured.given().port(port());
  }

  /**
   * Asserts that the API's port answers 404 for every {@code /q/*} path: the management interface
   * is on its own port only.
   */
  public static void assertNothingOnTheApiPort() {
    if (port() == RestAssured.port) {
      throw new AssertionError("the management interface shares the API's port " + port());
    }
    for (String path :
        java.util.List.of(
            "/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/dev-ui")) {
      int status = RestAssured.given().get(path).statusCode();
      if (status != 404) {
        throw new AssertionError(path + " on the API's port answered " + status + ", not 404");
      }
    }
  }
}
