package io.vigil.monitoring.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected values: worked out by hand (in the comments), scipy's documentation example of
 * scipy.spatial.distance.jensenshannon, and the critical values of the Kolmogorov distribution (Q =
 * 0.10, 0.05, 0.01 at λ = 1.2238, 1.3581, 1.6276).
 */
class FairnessAndDriftMetricsTest {

  @Test
  void disparateImpactAndParityDifferenceByHand() {
    // females (monitored): 4 rows, 1 favourable -> 0.25; males (reference): 4 rows, 3 -> 0.75
    Object[] sex = {
      "female", "female", "female", "female", "male", "male", "male", "male", "other"
    };
    boolean[] fav = {true, false, false, false, true, true, true, false, true};
    FairnessMetrics.Result r =
        FairnessMetrics.compute(
            sex,
            fav,
            new FairnessMetrics.Group(List.of("female")),
            new FairnessMetrics.Group(List.of("male")));
    assertThat(r.fairnessValue()).isCloseTo(100.0 / 3, within(1e-9)); // 0.25 / 0.75 * 100
    assertThat(r.statisticalParityDifference()).isCloseTo(-0.5, within(1e-12));
    assertThat(r.monitoredCount()).isEqualTo(4);
    assertThat(r.referenceCount()).isEqualTo(4);
  }

  @Test
  void numericGroupsAreInclusiveRanges() {
    // ages 18..25 monitored (18, 25: 1 of 2 favourable), 26..75 reference (30, 40, 75: 3 of 3)
    Object[] age = {18, 25, 30, 40, 75, 80};
    boolean[] fav = {true, false, true, true, true, false};
    FairnessMetrics.Result r =
        FairnessMetrics.compute(
            age,
            fav,
            new FairnessMetrics.Group(List.of(List.of(18, 25))),
            new FairnessMetrics.Group(List.of(List.of(26, 75))));
    assertThat(r.fairnessValue()).isCloseTo(50.0, within(1e-9));
    assertThat(r.referenceCount()).isEqualTo(3);
  }

  @Test
  void jensenShannonMatchesScipy() {
    // jensenshannon([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], 2.0) == 1.0
    assertThat(DriftMetrics.jensenShannon(new double[] {1, 0, 0}, new double[] {0, 1, 0}))
        .isCloseTo(1.0, within(1e-12));
    // jensenshannon([1.0, 0.0], [0.5, 0.5]) == 0.46450140402245893 (natural log); base 2 divides by
    // sqrt(ln 2)
    assertThat(DriftMetrics.jensenShannon(new double[] {1, 0}, new double[] {0.5, 0.5}))
        .isCloseTo(0.46450140402245893 / Math.sqrt(Math.log(2)), within(1e-12));
    // unnormalised counts are normalised first; identical distributions are at distance 0
    assertThat(DriftMetrics.jensenShannon(new double[] {2, 6}, new double[] {1, 3}))
        .isCloseTo(0, within(1e-12));
  }

  @Test
  void totalVariationAndPsiByHand() {
    // baseline [0.5, 0.5], current [0.25, 0.75]: TV = (0.25 + 0.25) / 2
    assertThat(DriftMetrics.totalVariation(new double[] {5, 5}, new double[] {1, 3}))
        .isCloseTo(0.25, within(1e-12));
    // PSI = (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.1732868 + 0.1013663
    assertThat(DriftMetrics.psi(new double[] {5, 5}, new double[] {1, 3}))
        .isCloseTo(0.2746531, within(1e-6));
  }

  @Test
  void kolmogorovSmirnovStatisticByHandAndPValueAgainstTheKolmogorovTable() {
    // a = 1..4, b = 3..6: after 2, F_a = 0.5 and F_b = 0 -> D = 0.5
    double[] ks =
        DriftMetrics.kolmogorovSmirnov(new double[] {1, 2, 3, 4}, new double[] {3, 4, 5, 6});
    assertThat(ks[0]).isCloseTo(0.5, within(1e-12));
    assertThat(ks[1]).isBetween(0.0, 1.0);
    assertThat(DriftMetrics.kolmogorovSmirnov(new double[] {1, 2, 3}, new double[] {1, 2, 3})[0])
        .isZero();
    assertThat(DriftMetrics.kolmogorovQ(1.2238)).isCloseTo(0.10, within(5e-4));
    assertThat(DriftMetrics.kolmogorovQ(1.3581)).isCloseTo(0.05, within(5e-4));
    assertThat(DriftMetrics.kolmogorovQ(1.6276)).isCloseTo(0.01, within(5e-4));
  }

  @Test
  void numericBinsComeFromTheBaselineRange() {
    double[][] counts =
        DriftMetrics.numericCounts(new double[] {0, 10}, new double[] {-5, 0.5, 9.99, 10, 50});
    // bins of width 1 over [0, 10]: -5 and 0.5 go to bin 0, 9.99, 10 and 50 to bin 9
    assertThat(counts[0][0]).isEqualTo(1);
    assertThat(counts[0][9]).isEqualTo(1);
    assertThat(counts[1][0]).isEqualTo(2);
    assertThat(counts[1][9]).isEqualTo(3);
  }
}
