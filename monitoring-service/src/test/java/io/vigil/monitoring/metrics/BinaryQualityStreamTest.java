package io.vigil.monitoring.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The streaming binary metrics against their definitions computed the slow way: AUC over every
 * (positive, negative) pair, average precision over every distinct threshold, on random data with
 * many ties.
 */
class BinaryQualityStreamTest {

  @Test
  void matchesThePairwiseAucAndThePerThresholdAveragePrecision() {
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      int n = 200 + random.nextInt(800);
      int[] actual = new int[n];
      int[] predicted = new int[n];
      double[] score = new double[n];
      for (int i = 0; i < n; i++) {
        actual[i] = random.nextDouble() < 0.3 ? 1 : 0;
        // scores on a coarse grid: many ties; positives a little higher
        score[i] = Math.round((random.nextDouble() * 0.8 + 0.2 * actual[i]) * 20) / 20.0;
        predicted[i] = score[i] >= 0.5 ? 1 : 0;
      }
      Map<String, Double> m = QualityMetrics.binary(actual, predicted, score);

      long pairs = 0;
      double beaten = 0;
      double logLoss = 0;
      for (int i = 0; i < n; i++) {
        double p = Math.min(1 - 1e-15, Math.max(1e-15, score[i]));
        logLoss -= actual[i] == 1 ? Math.log(p) : Math.log(1 - p);
        if (actual[i] != 1) {
          continue;
        }
        for (int j = 0; j < n; j++) {
          if (actual[j] == 0) {
            pairs++;
            beaten += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
          }
        }
      }
      assertThat(m.get("area_under_roc")).isCloseTo(beaten / pairs, within(1e-12));
      assertThat(m.get("log_loss")).isCloseTo(logLoss / n, within(1e-12));

      long positives = java.util.Arrays.stream(actual).sum();
      double ap = 0;
      double previousRecall = 0;
      for (double t :
          new TreeSet<>(java.util.Arrays.stream(score).boxed().toList()).descendingSet()) {
        long tp = 0;
        long at = 0;
        for (int i = 0; i < n; i++) {
          if (score[i] >= t) {
            at++;
            tp += actual[i];
          }
        }
        double recall = (double) tp / positives;
        ap += (recall - previousRecall) * tp / at;
        previousRecall = recall;
      }
      assertThat(m.get("area_under_pr")).isCloseTo(ap, within(1e-12));

      long[] c = QualityMetrics.confusion(actual, predicted);
      assertThat(m.get("accuracy")).isCloseTo((double) (c[0] + c[3]) / n, within(1e-12));
    }
  }

  @Test
  void aRowWithoutAProbabilityLeavesOnlyTheConfusionMetrics() {
    BinaryQualityStream s = new BinaryQualityStream();
    s.add(true, true, 0.9);
    s.add(false, false, 0.2);
    s.addUnscored(true, false);
    Map<String, Double> m = s.metrics();
    assertThat(m).doesNotContainKeys("area_under_roc", "area_under_pr", "log_loss");
    assertThat(m.get("accuracy")).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(s.confusion()).containsExactly(1, 0, 1, 1);
  }
}
