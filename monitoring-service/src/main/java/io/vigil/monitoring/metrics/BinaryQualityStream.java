package io.vigil.monitoring.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binary quality metrics from rows handed over in descending order of the positive class's
 * probability (rows without one last): memory independent of how many rows there are, so a run over
 * ten million labelled rows holds a few counters, not the rows.
 *
 * <p>ROC AUC is the Mann-Whitney statistic with ties counted as half: going down the scores, a
 * positive beats every negative below it, so the pairs it does not beat are the negatives above it
 * plus half of those tied with it. Average precision adds, per group of equal scores, the precision
 * after the group times the recall it adds. Both need only how many positives and negatives there
 * are in all, known at the end.
 */
public final class BinaryQualityStream {

  private long tp;
  private long fp;
  private long tn;
  private long fn;
  private boolean scored = true;
  private double logLoss;
  // the group of equal scores being read
  private boolean inGroup;
  private double groupScore;
  private long groupPositives;
  private long groupNegatives;
  // above the current group
  private long negativesAbove;
  private long positivesSoFar;
  private long seenSoFar;
  private double notBeaten;
  private double precisionTimesRecallGain;

  /** One row with the positive class's probability; rows come in descending order of it. */
  public void add(boolean actual, boolean predicted, double score) {
    count(actual, predicted);
    if (!scored) {
      return;
    }
    if (!inGroup || score != groupScore) {
      closeGroup();
      inGroup = true;
      groupScore = score;
    }
    if (actual) {
      groupPositives++;
    } else {
      groupNegatives++;
    }
    double p = Math.min(1 - QualityMetrics.EPS, Math.max(QualityMetrics.EPS, score));
    logLoss += actual ? Math.log(p) : Math.log(1 - p);
  }

  /**
   * One row without a usable probability: the confusion matrix counts it, and the run reports no
   * metric that needs probabilities (AUC, average precision, log loss, Gini).
   */
  public void addUnscored(boolean actual, boolean predicted) {
    count(actual, predicted);
    scored = false;
  }

  /** Confusion matrix counts: true negatives, false positives, false negatives, true positives. */
  public long[] confusion() {
    return new long[] {tn, fp, fn, tp};
  }

  /** Rows counted. */
  public long size() {
    return tp + fp + tn + fn;
  }

  /** The metrics of {@link QualityMetrics#binary}. */
  public Map<String, Double> metrics() {
    closeGroup();
    long n = size();
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
    if (scored && n > 0) {
      long positives = tp + fn;
      long negatives = fp + tn;
      if (positives > 0 && negatives > 0) {
        double pairs = (double) positives * negatives;
        double auc = (pairs - notBeaten) / pairs;
        m.put("area_under_roc", auc);
        m.put("gini_coefficient", 2 * auc - 1);
      }
      if (positives > 0) {
        m.put("area_under_pr", precisionTimesRecallGain / positives);
      }
      m.put("log_loss", -logLoss / n);
    }
    return m;
  }

  private void count(boolean actual, boolean predicted) {
    if (actual) {
      if (predicted) {
        tp++;
      } else {
        fn++;
      }
    } else if (predicted) {
      fp++;
    } else {
      tn++;
    }
  }

  private void closeGroup() {
    if (!inGroup) {
      return;
    }
    notBeaten += groupPositives * (double) negativesAbove + 0.5 * groupPositives * groupNegatives;
    negativesAbove += groupNegatives;
    positivesSoFar += groupPositives;
    seenSoFar += groupPositives + groupNegatives;
    precisionTimesRecallGain += (double) positivesSoFar / seenSoFar * groupPositives;
    groupPositives = 0;
    groupNegatives = 0;
    inGroup = false;
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }
}
