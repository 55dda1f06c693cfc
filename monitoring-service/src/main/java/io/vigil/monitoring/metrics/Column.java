package io.vigil.monitoring.metrics;

import java.util.Arrays;

/** A growable column of doubles, so a run over millions of rows holds 8 bytes a value. */
public final class Column {

  private double[] values = new double[1024];
  private int size;

  /** Appends a value. */
  public void add(double v) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = v;
  }

  /** Number of values. */
  public int size() {
    return size;
  }

  /** The value at {@code i}. */
  public double get(int i) {
    return values[i];
  }

  /** The values as an array of their exact length. */
  public double[] toArray() {
    return Arrays.copyOf(values, size);
  }
}
