package io.vigil.monitoring.repository;

import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Tuple;

/** jsonb values as the PostgreSQL client hands them over, turned into plain Java values. */
public final class JsonValues {

  private JsonValues() {}

  /** A jsonb scalar as String or Number (Double or Long), booleans as text; null for null. */
  public static Object scalar(Object v) {
    if (v == null || v == Tuple.JSON_NULL) {
      return null;
    }
    if (v instanceof Number n) {
      return n instanceof Double || n instanceof Float
          ? (Object) n.doubleValue()
          : (Object) n.longValue();
    }
    if (v instanceof String || v instanceof Boolean) {
      return v instanceof Boolean ? v.toString() : v;
    }
    return v.toString();
  }

  /** A jsonb value from the client as a string (labels: 1.0 is "1"), or null. */
  public static String text(Object v) {
    Object s = scalar(v);
    if (s == null) {
      return null;
    }
    if (s instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return Long.toString(d.longValue());
    }
    return s.toString();
  }

  /** A jsonb number or array of numbers as doubles, or null. */
  public static double[] numbers(Object v) {
    if (v instanceof Number n) {
      return new double[] {n.doubleValue()};
    }
    if (v instanceof JsonArray a) {
      double[] out = new double[a.size()];
      for (int i = 0; i < out.length; i++) {
        Object x = a.getValue(i);
        if (!(x instanceof Number n)) {
          return null;
        }
        out[i] = n.doubleValue();
      }
      return out;
    }
    return null;
  }
}
