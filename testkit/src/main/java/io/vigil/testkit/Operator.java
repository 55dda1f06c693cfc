package io.vigil.testkit;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;

/**
 * The operator's keys in every service's test profile ({@code %test.vigil.security.*}), and
 * requests that carry them.
 */
public final class Operator {

  /** {@code vigil.security.operator-key} in tests. */
  public static final String KEY = "test-operator-key";

  /** {@code vigil.security.reader-key} in tests. */
  public static final String READER_KEY = "test-reader-key";

  private Operator() {}

  /** A request with the operator key. */
  public static RequestSpecification given() {
    return RestAssured.given().header("Authorization", "Bearer " + KEY);
  }

  /** A request with the read-only operator key. */
  public static RequestSpecification reader() {
    return RestAssured.given().header("Authorization", "Bearer " + READER_KEY);
  }
}
