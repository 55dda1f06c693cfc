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
    int n = actual.length;
    long tp = 0, fp = 0, tn = 0, fn = 0;
    for (int i = 0; i < n; i++) {
      if (actual[i] == 1) {
        if (predicted[i] == 1) {
          tp++;
        } else {
          fn++;
        }
      } else if (predicted[i] == 1) {
        fp++;
      } else {
        tn++;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    double precision = ratio(tp, tp + fp);
    double recall = ratio(tp, tp + fn);
    m.put("accuracy", ratio(tp + tn, n));
    m.put("precision", precision);
    m.put("recall", recall);
    m.put("true_positive_rate", recall);
    m.put("false_positive_rate", ratio(fp, fp + tn));
    m.put(
        "f1_measure", precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    double mccDenominator = Math.sqrt((double) (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    m.put(
        "matthews_correlation_coefficient",
        mccDenominator == 0 ? 0 : (tp * (double) tn - fp * (double) fn) / mccDenominator);
    if (positiveProbability != null) {
      double auc = rocAuc(actual, positiveProbability);
      if (!Double.isNaN(auc)) {
        m.put("area_under_roc", auc);
        m.put("gini_coefficient", 2 * auc - 1);
      }
      double ap = averagePrecision(actual, positiveProbability);
      if (!Double.isNaN(ap)) {
        m.put("area_under_pr", ap);
      }
      double loss = 0;
      for (int i = 0; i < n; i++) {
        double p = clip(positiveProbability[i]);
        loss += actual[i] == 1 ? Math.log(p) : Math.log(1 - p);
      }
      m.put("log_loss", -loss / n);
    }
    return m;
  }

  /** Confusion matrix counts of a binary run, for the measurement's sources. */
  public static long[] confusion(int[] actual, int[] predicted) {
    long[] c = new long[4]; // tn, fp, fn, tp
    for (int i = 0; i < actual.length; i++) {
      c[actual[i] * 2 + predicted[i]]++;
    }
    return c;
  }

  /**
   * ROC AUC from the rank-sum (Mann-Whitney U) statistic, ties counted as half: NaN when one class
   * is absent.
   */
  static double rocAuc(int[] actual, double[] score) {
    int n = actual.length;
    Integer[] order = sortedIndex(score, false);
    double[] rank = new double[n];
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && score[order[j + 1]] == score[order[i]]) {
        j++;
      }
      double average = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        rank[order[k]] = average;
      }
      i = j + 1;
    }
    long positives = Arrays.stream(actual).filter(a -> a == 1).count();
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double rankSum = 0;
    for (int i = 0; i < n; i++) {
      if (actual[i] == 1) {
        rankSum += rank[i];
      }
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /**
   * Average precision: the sum over score thresholds (high to low, equal scores together) of
   * precision times the increase in recall; NaN without positives.
   */
  static double averagePrecision(int[] actual, double[] score) {
    int n = actual.length;
    long positives = Arrays.stream(actual).filter(a -> a == 1).count();
    if (positives == 0) {
      return Double.NaN;
    }
    Integer[] order = sortedIndex(score, true);
    double ap = 0;
    long tp = 0;
    long seen = 0;
    double previousRecall = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j < n && score[order[j]] == score[order[i]]) {
        tp += actual[order[j]];
        seen++;
        j++;
      }
      double recall = (double) tp / positives;
      double precision = (double) tp / seen;
      ap += (recall - previousRecall) * precision;
      previousRecall = recall;
      i = j;
    }
    return ap;
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

  private static Integer[] sortedIndex(double[] score, boolean descending) {
    Integer[] order = new Integer[score.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Comparator<Integer> byScore = Comparator.comparingDouble(i -> score[i]);
    Arrays.sort(order, descending ? byScore.reversed() : byScore);
    return order;
  }
}
