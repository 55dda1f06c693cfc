package io.vigil.monitoring.service.monitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One drift sample's histograms: predictions (column 0), confidence bins (column 1; the null bin
 * means a record without a probability) and the features (columns 2..), as counted by PostgreSQL.
 */
final class DriftSample {

  /** Counts of one column's values: by text, and by number while all are numbers. */
  static final class Histogram {
    final Map<String, Long> byText = new HashMap<>();
    final TreeMap<Double, Long> byNumber = new TreeMap<>();
    boolean numeric = true;
    long total;

    void add(Object value, long n) {
      total += n;
      if (value instanceof Number number) {
        byNumber.merge(number.doubleValue(), n, Long::sum);
      } else {
        numeric = false;
      }
      byText.merge(value == null ? "" : category(value), n, Long::sum);
    }

    private static String category(Object v) {
      if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
        return Long.toString(d.longValue());
      }
      return v.toString();
    }
  }

  final Histogram predictions = new Histogram();
  final Histogram confidence = new Histogram();
  final List<Histogram> features = new ArrayList<>();

  DriftSample(int features) {
    for (int i = 0; i < features; i++) {
      this.features.add(new Histogram());
    }
  }

  /** Counts {@code n} records with {@code value} in {@code column}. */
  void add(int column, Object value, long n) {
    Histogram h = column == 0 ? predictions : column == 1 ? confidence : features.get(column - 2);
    h.add(value, n);
  }

  /** How many records the sample holds. */
  long size() {
    return predictions.total;
  }
}
