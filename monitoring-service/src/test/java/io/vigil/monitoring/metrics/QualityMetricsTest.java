package io.vigil.monitoring.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Expected values come from the examples in scikit-learn's documentation (docstrings of
 * roc_auc_score, average_precision_score, log_loss, matthews_corrcoef, f1_score, precision_score,
 * r2_score, explained_variance_score, mean_absolute_error, mean_squared_error) or are worked out by
 * hand in the comments.
 */
class QualityMetricsTest {

  @Test
  void rocAucAndAveragePrecisionMatchScikitLearnsExample() {
    // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
    int[] y = {0, 0, 1, 1};
    double[] p = {0.1, 0.4, 0.35, 0.8};
    Map<String, Double> m = QualityMetrics.binary(y, new int[] {0, 0, 0, 1}, p);
    assertThat(m.get("area_under_roc")).isCloseTo(0.75, within(1e-12));
    assertThat(m.get("gini_coefficient")).isCloseTo(0.5, within(1e-12));
    assertThat(m.get("area_under_pr")).isCloseTo(5.0 / 6, within(1e-12));
  }

  @Test
  void tiedScoresCountHalf() {
    // every score equal: each positive/negative pair is a tie, AUC = 0.5 by hand
    Map<String, Double> m =
        QualityMetrics.binary(
            new int[] {0, 1, 0, 1}, new int[] {1, 1, 1, 1}, new double[] {0.3, 0.3, 0.3, 0.3});
    assertThat(m.get("area_under_roc")).isCloseTo(0.5, within(1e-12));
    // one threshold: precision 2/4 at recall 1, AP = 0.5 by hand
    assertThat(m.get("area_under_pr")).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void logLossMatchesScikitLearnsExample() {
    // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) ==
    // 0.21616...
    // positive class "spam": P(spam) = .9, .1, .2, .65
    Map<String, Double> m =
        QualityMetrics.binary(
            new int[] {1, 0, 0, 1}, new int[] {1, 0, 0, 1}, new double[] {.9, .1, .2, .65});
    assertThat(m.get("log_loss")).isCloseTo(0.21616, within(1e-5));
  }

  @Test
  void confusionMatrixMetricsByHandAndMcc() {
    // matthews_corrcoef([+1, +1, +1, -1], [+1, -1, +1, +1]) == -0.333...: TP 2, FN 1, FP 1, TN 0
    Map<String, Double> m =
        QualityMetrics.binary(new int[] {1, 1, 1, 0}, new int[] {1, 0, 1, 1}, null);
    assertThat(m.get("matthews_correlation_coefficient")).isCloseTo(-1.0 / 3, within(1e-12));
    assertThat(m.get("accuracy")).isEqualTo(0.5); // 2 of 4
    assertThat(m.get("precision")).isCloseTo(2.0 / 3, within(1e-12)); // 2 / (2 + 1)
    assertThat(m.get("recall")).isCloseTo(2.0 / 3, within(1e-12)); // 2 / (2 + 1)
    assertThat(m.get("true_positive_rate")).isEqualTo(m.get("recall"));
    assertThat(m.get("false_positive_rate")).isEqualTo(1.0); // 1 / (1 + 0)
    assertThat(m.get("f1_measure")).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m).doesNotContainKeys("area_under_roc", "log_loss");
  }

  @Test
  void multiclassWeightedMetricsMatchScikitLearnsExample() {
    // y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]:
    // precision_score(average="weighted") == 0.22..., recall 0.33..., f1_score(average="weighted")
    // == 0.26...
    int[] y = {0, 1, 2, 0, 1, 2};
    int[] pred = {0, 2, 1, 0, 0, 1};
    // log loss by hand: P(true class) = 0.8, 0.5, 0.25, 0.8, 0.5, 0.25
    double[][] proba = {
      {0.8, 0.1, 0.1},
      {0.2, 0.5, 0.3},
      {0.25, 0.5, 0.25},
      {0.8, 0.1, 0.1},
      {0.3, 0.5, 0.2},
      {0.25, 0.5, 0.25}
    };
    Map<String, Double> m = QualityMetrics.multiclass(y, pred, proba, 3);
    assertThat(m.get("accuracy")).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(m.get("weighted_precision")).isCloseTo(2.0 / 9, within(1e-12));
    assertThat(m.get("weighted_recall")).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(m.get("weighted_f1_measure")).isCloseTo(0.2666666667, within(1e-9));
    double expected = -(2 * Math.log(0.8) + 2 * Math.log(0.5) + 2 * Math.log(0.25)) / 6;
    assertThat(m.get("log_loss")).isCloseTo(expected, within(1e-12));
  }

  @Test
  void regressionMatchesScikitLearnsExamples() {
    // y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8]
    Map<String, Double> m =
        QualityMetrics.regression(new double[] {3, -0.5, 2, 7}, new double[] {2.5, 0.0, 2, 8});
    assertThat(m.get("mean_absolute_error")).isCloseTo(0.5, within(1e-12));
    assertThat(m.get("mean_squared_error")).isCloseTo(0.375, within(1e-12));
    assertThat(m.get("root_mean_squared_error")).isCloseTo(Math.sqrt(0.375), within(1e-12));
    assertThat(m.get("r2")).isCloseTo(0.9486081370449679, within(1e-12));
    assertThat(m.get("explained_variance")).isCloseTo(0.9571734475374732, within(1e-12));
  }
}
