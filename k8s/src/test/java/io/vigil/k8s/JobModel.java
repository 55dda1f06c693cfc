package io.vigil.k8s;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/**
 * A typed model of {@code batch/v1} Job with exactly the fields the manifests set (fabric8's batch
 * model is not available here): read strictly, its pod template as fabric8's {@link
 * PodTemplateSpec}, whose unknown fields the test collects like any other.
 */
@JsonIgnoreProperties(value = {"apiVersion", "kind"})
record JobModel(ObjectMeta metadata, Spec spec) {

  /** The Job's spec. */
  record Spec(Integer backoffLimit, Integer ttlSecondsAfterFinished, PodTemplateSpec template) {}
}
