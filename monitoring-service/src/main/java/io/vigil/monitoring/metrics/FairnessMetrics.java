package io.vigil.monitoring.metrics;

import java.util.List;

/**
 * Fairness of one monitored feature: disparate impact ({@code fairness_value}, in percent) and
 * statistical parity difference, from the favourable-outcome rates of the monitored (minority) and
 * reference (majority) groups.
 */
public final class FairnessMetrics {

  /**
   * The outcome for one feature.
   *
   * @param fairnessValue (favourable rate of the monitored group ÷ that of the reference group) ×
   *     100; NaN when the reference group has no favourable outcome
   * @param statisticalParityDifference favourable rate(monitored) − favourable rate(reference)
   * @param monitoredCount rows in the monitored group
   * @param referenceCount rows in the reference group
   * @param monitoredRate favourable rate of the monitored group
   * @param referenceRate favourable rate of the reference group
   */
  public record Result(
      double fairnessValue,
      double statisticalParityDifference,
      long monitoredCount,
      long referenceCount,
      double monitoredRate,
      double referenceRate) {}

  /** A group: category values, or numeric ranges {@code [low, high]} (both ends inclusive). */
  public record Group(List<Object> members) {

    /** Whether a feature value belongs to the group. */
    public boolean contains(Object value) {
      for (Object m : members) {
        if (m instanceof List<?> range && range.size() == 2 && value instanceof Number v) {
          double x = v.doubleValue();
          if (x >= ((Number) range.get(0)).doubleValue()
              && x <= ((Number) range.get(1)).doubleValue()) {
            return true;
          }
        } else if (m instanceof Number n && value instanceof Number v) {
          if (n.doubleValue() == v.doubleValue()) {
            return true;
          }
        } else if (m != null && value != null && m.toString().equals(value.toString())) {
          return true;
        }
      }
      return false;
    }
  }

  private FairnessMetrics() {}

  /**
   * @param values the feature's value per row
   * @param favourable whether the row's prediction is a favourable class
   * @param monitored the monitored (minority) group
   * @param reference the reference (majority) group
   */
  public static Result compute(
      Object[] values, boolean[] favourable, Group monitored, Group reference) {
    long mCount = 0, mFav = 0, rCount = 0, rFav = 0;
    for (int i = 0; i < values.length; i++) {
      if (monitored.contains(values[i])) {
        mCount++;
        if (favourable[i]) {
          mFav++;
        }
      } else if (reference.contains(values[i])) {
        rCount++;
        if (favourable[i]) {
          rFav++;
        }
      }
    }
    double mRate = mCount == 0 ? Double.NaN : (double) mFav / mCount;
    double rRate = rCount == 0 ? Double.NaN : (double) rFav / rCount;
    double di =
        rRate == 0 || Double.isNaN(rRate) || Double.isNaN(mRate) ? Double.NaN : mRate / rRate * 100;
    return new Result(di, mRate - rRate, mCount, rCount, mRate, rRate);
  }
}
