package io.vigil.monitoring.service.monitor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.monitoring.metrics.BinaryQualityStream;
import io.vigil.monitoring.metrics.QualityMetrics;
import io.vigil.monitoring.repository.MonitorQueries;
import io.vigil.monitoring.service.scoring.FeedbackScoring;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * quality: the labelled feedback rows against their predictions (from the row, else from the
 * payload record with the same transaction id, else scored through the deployment first by {@link
 * FeedbackScoring}) — binary, multiclass or regression metrics, and the confusion matrix as a
 * source.
 */
@ApplicationScoped
public class QualityMonitor implements Monitor {

  private final MonitorQueries queries;
  private final FeedbackScoring scoring;

  QualityMonitor(MonitorQueries queries, FeedbackScoring scoring) {
    this.queries = queries;
    this.scoring = scoring;
  }

  @Override
  public String definitionId() {
    return "quality";
  }

  @Override
  public Uni<Outcome> evaluate(MonitorContext ctx) {
    String label = ctx.prop("label_column", null);
    if (label == null) {
      return Uni.createFrom()
          .item(new Outcome.Insufficient("the subscription has no asset_properties.label_column"));
    }
    int minimum = ctx.param("min_feedback_data_size", 50);
    if (ctx.problemType().equals("binary") && ctx.labels().size() >= 2) {
      return streamed(ctx, label, minimum);
    }
    QualityRows data = new QualityRows(ctx.problemType().equals("regression"));
    return scoring
        .scorePending(ctx)
        .chain(scored -> queries.labelledRows(source(ctx, label), data::add))
        .map(
            n -> {
              if (data.size() < minimum) {
                return insufficient(minimum, data.size());
              }
              return data.regression
                  ? regression(data.rawActual, data.rawPredicted)
                  : classification(ctx, data);
            })
        .onFailure(FeedbackScoring.Failed.class)
        .recoverWithItem(f -> new Outcome.Failed("scoring_failed", f.getMessage()));
  }

  /**
   * A binary model whose labels the subscription names: the rows come sorted by the positive
   * class's probability and pass through {@link BinaryQualityStream}, so the run's memory does not
   * grow with the data (the other kinds hold their rows: a multiclass AUC needs one order per
   * class, a regression its values).
   */
  private Uni<Outcome> streamed(MonitorContext ctx, String label, int minimum) {
    List<String> labels = ctx.labels();
    String positive = ctx.prop("positive_label", labels.get(1));
    BinaryQualityStream stream = new BinaryQualityStream();
    int[] width = {-1};
    return scoring
        .scorePending(ctx)
        .chain(
            scored ->
                queries.binaryRows(
                    source(ctx, label),
                    Math.max(0, labels.indexOf(positive)),
                    (a, p, score, w) -> {
                      // every row needs a probability, all of one width (as QualityRows)
                      if (score == null || w == null || (width[0] >= 0 && w != width[0])) {
                        stream.addUnscored(a.equals(positive), p.equals(positive));
                      } else {
                        width[0] = w;
                        stream.add(a.equals(positive), p.equals(positive), score);
                      }
                    }))
        .map(
            n -> {
              if (stream.size() < minimum) {
                return insufficient(minimum, stream.size());
              }
              Map<String, Double> metrics = stream.metrics();
              metrics.put("record_count", (double) stream.size());
              ArrayNode sources = Outcome.array();
              confusionMatrix(sources, labels, positive, stream.confusion());
              return Outcome.measured(metrics, sources);
            })
        .onFailure(FeedbackScoring.Failed.class)
        .recoverWithItem(f -> new Outcome.Failed("scoring_failed", f.getMessage()));
  }

  /** The subscription's data sets and fields quality reads. */
  private static MonitorQueries.Labelled source(MonitorContext ctx, String label) {
    return new MonitorQueries.Labelled(
        ctx.dataSets().get("feedback"),
        ctx.dataSet("payload_logging"),
        label,
        ctx.prop("prediction_field", "prediction"),
        ctx.probabilityField(),
        ctx.prop("transaction_id_field", "scoring_id"));
  }

  private static Outcome insufficient(int minimum, long rows) {
    return new Outcome.Insufficient(
        "quality needs at least "
            + minimum
            + " labelled feedback rows with a prediction (min_feedback_data_size); there are "
            + rows);
  }

  /** The confusion matrix source: counts tn, fp, fn, tp. */
  private static void confusionMatrix(
      ArrayNode sources, List<String> labels, String positive, long[] c) {
    String negative =
        labels.stream().filter(l -> !l.equals(positive)).findFirst().orElse("not " + positive);
    ObjectNode cm =
        sources.addObject().put("id", "confusion_matrix").put("type", "confusion_matrix");
    ObjectNode matrixData = cm.putObject("data");
    matrixData.putArray("labels").add(negative).add(positive);
    ArrayNode matrix = matrixData.putArray("matrix");
    matrix.addArray().add(c[0]).add(c[1]);
    matrix.addArray().add(c[2]).add(c[3]);
  }

  private static Outcome classification(MonitorContext ctx, QualityRows data) {
    List<String> labels = ctx.labels();
    List<String> seen = data.codes.labels();
    if (labels.isEmpty()) {
      labels = new ArrayList<>(new TreeSet<>(seen));
    }
    ArrayNode sources = Outcome.array();
    Map<String, Double> metrics =
        ctx.problemType().equals("binary")
            ? binary(ctx, data, labels, seen, sources)
            : multiclass(data, labels, seen);
    metrics.put("record_count", (double) data.size());
    return Outcome.measured(metrics, sources);
  }

  private static Map<String, Double> binary(
      MonitorContext ctx,
      QualityRows data,
      List<String> labels,
      List<String> seen,
      ArrayNode sources) {
    int n = data.size();
    String positive = ctx.prop("positive_label", labels.size() > 1 ? labels.get(1) : labels.get(0));
    int positiveIndex = Math.max(0, labels.indexOf(positive));
    int positiveCode = seen.indexOf(positive);
    int[] a = new int[n];
    int[] p = new int[n];
    double[] score = data.haveScores() ? new double[n] : null;
    for (int i = 0; i < n; i++) {
      a[i] = (int) data.actual.get(i) == positiveCode ? 1 : 0;
      p[i] = (int) data.predicted.get(i) == positiveCode ? 1 : 0;
      if (score != null) {
        score[i] =
            data.width == 1
                ? data.probabilities.get(i)
                : data.probabilities.get(i * data.width + Math.min(positiveIndex, data.width - 1));
      }
    }
    Map<String, Double> metrics = QualityMetrics.binary(a, p, score);
    confusionMatrix(sources, labels, positive, QualityMetrics.confusion(a, p));
    return metrics;
  }

  private static Map<String, Double> multiclass(
      QualityRows data, List<String> labels, List<String> seen) {
    int n = data.size();
    // class index = position in labels; labels never declared come after them
    List<String> classes = new ArrayList<>(labels);
    seen.stream().filter(l -> !classes.contains(l)).forEach(classes::add);
    int[] byCode = new int[seen.size()];
    for (int code = 0; code < seen.size(); code++) {
      byCode[code] = classes.indexOf(seen.get(code));
    }
    int[] a = new int[n];
    int[] p = new int[n];
    boolean scores = data.haveScores() && data.width == classes.size();
    double[][] pr = scores ? new double[n][] : null;
    for (int i = 0; i < n; i++) {
      a[i] = byCode[(int) data.actual.get(i)];
      p[i] = byCode[(int) data.predicted.get(i)];
      if (scores) {
        pr[i] = new double[data.width];
        for (int k = 0; k < data.width; k++) {
          pr[i][k] = data.probabilities.get(i * data.width + k);
        }
      }
    }
    return QualityMetrics.multiclass(a, p, pr, classes.size());
  }

  private static Outcome regression(List<String> actual, List<String> predicted) {
    int n = actual.size();
    double[] a = new double[n];
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      try {
        a[i] = Double.parseDouble(actual.get(i));
        p[i] = Double.parseDouble(predicted.get(i));
      } catch (NumberFormatException e) {
        return new Outcome.Insufficient(
            "a regression label or prediction is not a number: '"
                + actual.get(i)
                + "' / '"
                + predicted.get(i)
                + "'");
      }
    }
    return Outcome.measured(QualityMetrics.regression(a, p), Outcome.array());
  }
}
