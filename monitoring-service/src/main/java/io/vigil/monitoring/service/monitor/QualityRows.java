package io.vigil.monitoring.service.monitor;

import io.vigil.monitoring.metrics.Column;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Quality's rows as they stream in: label and prediction coded as numbers (8 bytes a value), the
 * probability vectors flattened while they all have one width; a regression keeps the raw text.
 */
final class QualityRows {

  /** Labels coded in the order they are first seen. */
  static final class Codes {
    private final Map<String, Integer> index = new LinkedHashMap<>();

    int code(String label) {
      return index.computeIfAbsent(label, l -> index.size());
    }

    List<String> labels() {
      return new ArrayList<>(index.keySet());
    }
  }

  final Codes codes = new Codes();
  final Column actual = new Column();
  final Column predicted = new Column();
  final Column probabilities = new Column();
  int width = -1;
  boolean probabilitiesValid = true;
  final List<String> rawActual = new ArrayList<>();
  final List<String> rawPredicted = new ArrayList<>();
  final boolean regression;

  QualityRows(boolean regression) {
    this.regression = regression;
  }

  void add(String a, String p, double[] probability) {
    if (regression) {
      rawActual.add(a);
      rawPredicted.add(p);
      return;
    }
    actual.add(codes.code(a));
    predicted.add(codes.code(p));
    if (probability == null || (width >= 0 && probability.length != width)) {
      probabilitiesValid = false;
    } else if (probabilitiesValid) {
      width = probability.length;
      for (double v : probability) {
        probabilities.add(v);
      }
    }
  }

  int size() {
    return regression ? rawActual.size() : actual.size();
  }

  /** Whether every row had a probability vector of the same width. */
  boolean haveScores() {
    return probabilitiesValid && width > 0;
  }
}
