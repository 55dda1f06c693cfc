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

  /** Counts favourable outcomes of both groups one row at a time, holding no rows. */
  public static final class Counter {
    private final Group monitored;
    private final Group reference;
    private long mCount;
    private long mFav;
    private long rCount;
    private long rFav;

    /**
     * @param monitored the monitored (minority) group
     * @param reference the reference (majority) group
     */
    public Counter(Group monitored, Group reference) {
      this.monitored = monitored;
      this.reference = reference;
    }

    /** Counts one row. */
    public void add(Object value, boolean favourable) {
      add(value, favourable, 1);
    }

    /** Counts {@code n} rows with the same value and outcome. */
    public void add(Object value, boolean favourable, long n) {
      if (monitored.contains(value)) {
        mCount += n;
        mFav += favourable ? n : 0;
      } else if (reference.contains(value)) {
        rCount += n;
        rFav += favourable ? n : 0;
      }
    }

    /** The metrics of the rows counted so far. */
    public Result result() {
      double mRate = mCount == 0 ? Double.NaN : (double) mFav / mCount;
      double rRate = rCount == 0 ? Double.NaN : (double) rFav / rCount;
      double di =
          rRate == 0 || Double.isNaN(rRate) || Double.isNaN(mRate)
              ? Double.NaN
              : mRate / rRate * 100;
      return new Result(di, mRate - rRate, mCount, rCount, mRate, rRate);
    }
  }

  /**
   * @param values the feature's value per row
   * @param favourable whether the row's prediction is a favourable class
   * @param monitored the monitored (minority) group
   * @param reference the reference (majority) group
   */
  public static Result compute(
      Object[] values, boolean[] favourable, Group monitored, Group reference) {
    Counter counter = new Counter(monitored, reference);
    for (int i = 0; i < values.length; i++) {
      counter.add(values[i], favourable[i]);
    }
    return counter.result();
  }
}
