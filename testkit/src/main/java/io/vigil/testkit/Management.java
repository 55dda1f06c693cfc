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

  /** The port the management interface listens on (Quarkus writes the real one back). */
  public static int port() {
    return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
  }

  /** A request to the management interface. */
  public static RequestSpecification given() {
    return RestAssured.given().port(port());
  }
}
