package io.vigil.monitoring.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Distribution distances of drift v2 and the per-feature tests beyond OpenScale: Jensen-Shannon
 * distance (base 2, in 0..1), total variation, population stability index and the two-sample
 * Kolmogorov-Smirnov test.
 */
public final class DriftMetrics {

  /** Number of bins for numeric features and confidences. */
  public static final int BINS = 10;

  /** Floor of a bin's share in PSI, so an empty bin does not make it infinite. */
  static final double PSI_FLOOR = 1e-4;

  private DriftMetrics() {}

  /** Jensen-Shannon distance of two distributions (normalised here), logarithms base 2. */
  public static double jensenShannon(double[] p, double[] q) {
    double[] a = normalise(p);
    double[] b = normalise(q);
    double divergence = 0;
    for (int i = 0; i < a.length; i++) {
      double m = (a[i] + b[i]) / 2;
      if (a[i] > 0) {
        divergence += 0.5 * a[i] * log2(a[i] / m);
      }
      if (b[i] > 0) {
        divergence += 0.5 * b[i] * log2(b[i] / m);
      }
    }
    return Math.sqrt(Math.max(0, divergence));
  }

  /** Total variation distance ½Σ|p − q| of two distributions (normalised here). */
  public static double totalVariation(double[] p, double[] q) {
    double[] a = normalise(p);
    double[] b = normalise(q);
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs(a[i] - b[i]);
    }
    return sum / 2;
  }

  /** Population stability index Σ(p − b)·ln(p / b), shares floored at {@link #PSI_FLOOR}. */
  public static double psi(double[] baseline, double[] current) {
    double[] b = normalise(baseline);
    double[] p = normalise(current);
    double sum = 0;
    for (int i = 0; i < b.length; i++) {
      double bi = Math.max(PSI_FLOOR, b[i]);
      double pi = Math.max(PSI_FLOOR, p[i]);
      sum += (pi - bi) * Math.log(pi / bi);
    }
    return sum;
  }

  /** Counts of categorical values over the union of both samples' categories, in name order. */
  public static double[][] categoricalCounts(String[] baseline, String[] current) {
    TreeSet<String> categories = new TreeSet<>(Arrays.asList(baseline));
    categories.addAll(Arrays.asList(current));
    Map<String, Integer> index = new LinkedHashMap<>();
    categories.forEach(c -> index.put(c, index.size()));
    double[][] counts = new double[2][categories.size()];
    for (String v : baseline) {
      counts[0][index.get(v)]++;
    }
    for (String v : current) {
      counts[1][index.get(v)]++;
    }
    return counts;
  }

  /**
   * Counts of numeric values in {@link #BINS} equal-width bins over the baseline's range; values
   * outside it fall into the first or last bin.
   */
  public static double[][] numericCounts(double[] baseline, double[] current) {
    return numericCounts(histogram(baseline), histogram(current));
  }

  /** {@link #numericCounts(double[], double[])} of value counts. */
  public static double[][] numericCounts(
      NavigableMap<Double, Long> baseline, NavigableMap<Double, Long> current) {
    double min = baseline.isEmpty() ? 0 : baseline.firstKey();
    double max = baseline.isEmpty() ? 0 : baseline.lastKey();
    double[][] counts = new double[2][BINS];
    baseline.forEach((v, n) -> counts[0][bin(v, min, max)] += n);
    current.forEach((v, n) -> counts[1][bin(v, min, max)] += n);
    return counts;
  }

  /** Value counts of an array. */
  public static NavigableMap<Double, Long> histogram(double[] values) {
    NavigableMap<Double, Long> h = new TreeMap<>();
    for (double v : values) {
      h.merge(v, 1L, Long::sum);
    }
    return h;
  }

  /** Counts of probabilities in {@link #BINS} bins over [0, 1]. */
  public static double[][] probabilityCounts(double[] baseline, double[] current) {
    double[][] counts = new double[2][BINS];
    for (double v : baseline) {
      counts[0][bin(v, 0, 1)]++;
    }
    for (double v : current) {
      counts[1][bin(v, 0, 1)]++;
    }
    return counts;
  }

  private static int bin(double v, double min, double max) {
    if (max <= min) {
      return 0;
    }
    int b = (int) Math.floor((v - min) / (max - min) * BINS);
    return Math.max(0, Math.min(BINS - 1, b));
  }

  /**
   * Two-sample Kolmogorov-Smirnov test: the statistic D = max|F₁ − F₂| and its asymptotic p-value
   * Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D), nₑ = n·m/(n + m) (Numerical Recipes, §14.3).
   *
   * @return {D, p-value}
   */
  public static double[] kolmogorovSmirnov(double[] a, double[] b) {
    return kolmogorovSmirnov(histogram(a), histogram(b));
  }

  /** {@link #kolmogorovSmirnov(double[], double[])} of value counts. */
  public static double[] kolmogorovSmirnov(
      NavigableMap<Double, Long> a, NavigableMap<Double, Long> b) {
    double na = a.values().stream().mapToLong(Long::longValue).sum();
    double nb = b.values().stream().mapToLong(Long::longValue).sum();
    TreeSet<Double> points = new TreeSet<>(a.keySet());
    points.addAll(b.keySet());
    double ca = 0;
    double cb = 0;
    double d = 0;
    for (double v : points) {
      ca += a.getOrDefault(v, 0L);
      cb += b.getOrDefault(v, 0L);
      d = Math.max(d, Math.abs(ca / na - cb / nb));
    }
    double ne = na * nb / (na + nb);
    double sqrt = Math.sqrt(ne);
    return new double[] {d, kolmogorovQ((sqrt + 0.12 + 0.11 / sqrt) * d)};
  }

  /** Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}, the Kolmogorov distribution's upper tail. */
  static double kolmogorovQ(double lambda) {
    if (lambda < 0.2) {
      return 1;
    }
    double sum = 0;
    double sign = 1;
    for (int j = 1; j <= 100; j++) {
      double term = sign * Math.exp(-2 * j * j * lambda * lambda);
      sum += term;
      if (Math.abs(term) < 1e-12) {
        break;
      }
      sign = -sign;
    }
    return Math.max(0, Math.min(1, 2 * sum));
  }

  private static double[] normalise(double[] v) {
    double sum = Arrays.stream(v).sum();
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = sum == 0 ? 0 : v[i] / sum;
    }
    return out;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
