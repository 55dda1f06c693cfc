package io.vigil.monitoring.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Quality metrics of OPENSCALE-API.md: binary, multiclass and regression. Pure functions. */
public final class QualityMetrics {

  /** Probabilities are clipped to [EPS, 1 - EPS] in log loss, as scikit-learn does. */
  static final double EPS = 1e-15;

  private QualityMetrics() {}

  /**
   * Binary classification.
   *
   * @param actual 1 for the positive class, 0 otherwise
   * @param predicted 1 when the predicted label is the positive class
   * @param positiveProbability probability of the positive class per row, or null when the model
   *     gives none (then no AUC, AP, log loss or Gini)
   */
  public static Map<String, Double> binary(
      int[] actual, int[] predicted, double[] positiveProbability) {
    BinaryQualityStream stream = new BinaryQualityStream();
    if (positiveProbability == null) {
      for (int i = 0; i < actual.length; i++) {
        stream.addUnscored(actual[i] == 1, predicted[i] == 1);
      }
    } else {
      for (int i : descending(positiveProbability)) {
        stream.add(actual[i] == 1, predicted[i] == 1, positiveProbability[i]);
      }
    }
    return stream.metrics();
  }

  /** Confusion matrix counts of a binary run, for the measurement's sources. */
  public static long[] confusion(int[] actual, int[] predicted) {
    long[] c = new long[4]; // tn, fp, fn, tp
    for (int i = 0; i < actual.length; i++) {
      c[actual[i] * 2 + predicted[i]]++;
    }
    return c;
  }

  /** Row indices by descending score. */
  private static int[] descending(double[] score) {
    return java.util.stream.IntStream.range(0, score.length)
        .boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> score[i]).reversed())
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /**
   * Multiclass: accuracy, weighted precision, recall and F1 (weights = class support), and
   * multiclass log loss when probabilities are given.
   *
   * @param actual class index per row
   * @param predicted class index per row
   * @param probabilities per row the probability of every class (same order), or null
   * @param classes number of classes
   */
  public static Map<String, Double> multiclass(
      int[] actual, int[] predicted, double[][] probabilities, int classes) {
    int n = actual.length;
    long[] support = new long[classes];
    long[] predictedCount = new long[classes];
    long[] correct = new long[classes];
    long right = 0;
    for (int i = 0; i < n; i++) {
      support[actual[i]]++;
      predictedCount[predicted[i]]++;
      if (actual[i] == predicted[i]) {
        correct[actual[i]]++;
        right++;
      }
    }
    double wp = 0, wr = 0, wf = 0;
    for (int c = 0; c < classes; c++) {
      double p = ratio(correct[c], predictedCount[c]);
      double r = ratio(correct[c], support[c]);
      double f = p + r == 0 ? 0 : 2 * p * r / (p + r);
      double w = (double) support[c] / n;
      wp += w * p;
      wr += w * r;
      wf += w * f;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", ratio(right, n));
    m.put("weighted_precision", wp);
    m.put("weighted_recall", wr);
    m.put("weighted_f1_measure", wf);
    if (probabilities != null) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        double sum = Arrays.stream(probabilities[i]).sum();
        loss += Math.log(clip(probabilities[i][actual[i]] / sum));
      }
      m.put("log_loss", -loss / n);
    }
    return m;
  }

  /** Regression: MAE, MSE, RMSE, R² and explained variance. */
  public static Map<String, Double> regression(double[] actual, double[] predicted) {
    int n = actual.length;
    double mean = Arrays.stream(actual).average().orElse(0);
    double abs = 0, sq = 0, total = 0, residualMean = 0;
    for (int i = 0; i < n; i++) {
      double e = actual[i] - predicted[i];
      abs += Math.abs(e);
      sq += e * e;
      total += (actual[i] - mean) * (actual[i] - mean);
      residualMean += e;
    }
    residualMean /= n;
    double residualVariance = 0;
    for (int i = 0; i < n; i++) {
      double d = actual[i] - predicted[i] - residualMean;
      residualVariance += d * d;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("mean_absolute_error", abs / n);
    m.put("mean_squared_error", sq / n);
    m.put("root_mean_squared_error", Math.sqrt(sq / n));
    m.put("r2", total == 0 ? 0 : 1 - sq / total);
    m.put("explained_variance", total == 0 ? 0 : 1 - residualVariance / total);
    return m;
  }

  private static double clip(double p) {
    return Math.min(1 - EPS, Math.max(EPS, p));
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }
}
