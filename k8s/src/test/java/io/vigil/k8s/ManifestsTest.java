package io.vigil.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests: every file and every rendered overlay parses into typed models with no
 * unknown field, and the invariants of a zone-spread, self-healing deployment hold for every
 * workload.
 */
class ManifestsTest {

  private static final Path K8S = locate();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper STRICT =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private static final ObjectMapper LENIENT = new ObjectMapper();
  private static final String ZONE = "topology.kubernetes.io/zone";
  private static final Map<String, Class<?>> TYPES =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("v1/Secret", Secret.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("v1/ServiceAccount", ServiceAccount.class),
          Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("apps/v1/StatefulSet", StatefulSet.class),
          Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
          Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
          Map.entry("rbac.authorization.k8s.io/v1/ClusterRole", ClusterRole.class),
          Map.entry("rbac.authorization.k8s.io/v1/ClusterRoleBinding", ClusterRoleBinding.class),
          Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
          Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class),
          Map.entry("postgresql.cnpg.io/v1/Cluster", CnpgModel.Cluster.class),
          Map.entry("postgresql.cnpg.io/v1/ScheduledBackup", CnpgModel.ScheduledBackup.class),
          Map.entry("batch/v1/Job", JobModel.class));

  private static Path locate() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("base")) ? here : here.resolve("k8s");
  }

  @Test
  void everyManifestFileParsesIntoTypedModelsWithoutUnknownFields() throws Exception {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(K8S.resolve("base"))) {
      files =
          walk.filter(p -> p.toString().endsWith(".yaml"))
              .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
              .toList();
    }
    try (Stream<Path> walk = Files.walk(K8S.resolve("overlays"))) {
      files =
          Stream.concat(
                  files.stream(),
                  walk.filter(p -> p.toString().endsWith(".yaml"))
                      .filter(p -> !p.getFileName().toString().equals("kustomization.yaml")))
              .toList();
    }
    assertThat(files).hasSizeGreaterThan(10);
    int documents = 0;
    for (Path f : files) {
      for (JsonNode doc : documents(Files.readString(f))) {
        typed(doc, f.toString());
        documents++;
      }
    }
    assertThat(documents).isGreaterThan(30);
    // the dashboard is JSON Grafana can import
    JsonNode dashboard =
        LENIENT.readTree(K8S.resolve("base/observability/vigil-dashboard.json").toFile());
    assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(6);
    JsonNode models =
        LENIENT.readTree(K8S.resolve("base/observability/vigil-model-health.json").toFile());
    assertThat(models.path("title").asText()).isEqualTo("Vigil model health");
    assertThat(models.path("panels").size()).isGreaterThanOrEqualTo(6);
    for (JsonNode panel : models.path("panels")) {
      assertThat(panel.path("targets").findValuesAsText("expr"))
          .as(panel.path("title").asText())
          .isNotEmpty()
          .allMatch(e -> e.contains("vigil_"));
    }
    // the model gauges are the same on every instance: panels and rules take max, never sum
    String rules = Files.readString(K8S.resolve("base/observability/prometheus-rules.yaml"));
    for (String text : List.of(rules, models.toString())) {
      assertThat(text)
          .doesNotContainPattern(
              "sum(\\s+(by|without)\\s*\\([^)]*\\))?\\s*\\(\\s*(\\w+\\()?\\s*vigil_model_");
    }
  }

  @Test
  void everyOverlayRendersAndKeepsTheInvariants() throws Exception {
    if (!kubectl()) {
      // without kubectl the overlays cannot be rendered here: the base's own files are checked
      System.out.println("kubectl not found: checking the base files instead of rendered overlays");
      List<Object> objects = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(K8S.resolve("base"))) {
        for (Path f :
            walk.filter(p -> p.toString().endsWith(".yaml"))
                .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
                .toList()) {
          for (JsonNode doc : documents(Files.readString(f))) {
            objects.add(typed(doc, f.toString()));
          }
        }
      }
      checkInvariants("us-south", objects, false);
      return;
    }
    for (String region : List.of("us-south", "us-east")) {
      List<Object> objects = new ArrayList<>();
      for (JsonNode doc : documents(render(region))) {
        objects.add(typed(doc, region));
      }
      checkInvariants(region, objects, true);
    }
  }

  private static boolean kubectl() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "kubectl")));
  }

  @Test
  void unknownFieldsAreCaught() throws Exception {
    String deployment =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: x}
        spec:
          replicsa: 3
          template:
            spec:
              containers: [{name: c, image: i, livenessProbe: {httpGet: {path: /, port: 80}, periodSecond: 1}}]
        """;
    List<String> unknown = new ArrayList<>();
    unknownFields(
        LENIENT.treeToValue(documents(deployment).get(0), Deployment.class),
        "",
        unknown,
        new IdentityHashMap<>());
    assertThat(unknown).hasSize(2);
    assertThat(String.join(" ", unknown)).contains("replicsa", "periodSecond");
    String cluster =
        """
        apiVersion: postgresql.cnpg.io/v1
        kind: Cluster
        metadata: {name: x}
        spec: {instances: 3, storage: {size: 1Gi, storageClas: fast}}
        """;
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> typed(documents(cluster).get(0), "inline"))
        .hasMessageContaining("storageClas");
  }

  /** Renders an overlay with kubectl kustomize (kubectl is installed where the suite runs). */
  private static String render(String region) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays/" + region).toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize overlays/%s: %s", region, out).isZero();
    return out;
  }

  private static void checkInvariants(String region, List<Object> objects, boolean rendered) {
    List<PodDisruptionBudget> pdbs = of(objects, PodDisruptionBudget.class);
    List<HorizontalPodAutoscaler> hpas = of(objects, HorizontalPodAutoscaler.class);
    List<String> workloads = new ArrayList<>();
    for (Object o : objects) {
      PodTemplateSpec template;
      String name;
      if (o instanceof Deployment d) {
        template = d.getSpec().getTemplate();
        name = d.getMetadata().getName();
        assertThat(d.getSpec().getReplicas()).as(name + " replicas").isGreaterThanOrEqualTo(3);
      } else if (o instanceof StatefulSet s) {
        template = s.getSpec().getTemplate();
        name = s.getMetadata().getName();
        assertThat(s.getSpec().getReplicas()).as(name + " replicas").isEqualTo(3);
      } else {
        continue;
      }
      workloads.add(name);
      String at = region + " " + name;
      Map<String, String> labels = template.getMetadata().getLabels();
      PodSpec pod = template.getSpec();

      // zone spread
      assertThat(pod.getTopologySpreadConstraints())
          .as(at + " zone spread")
          .anySatisfy(
              (TopologySpreadConstraint c) -> {
                assertThat(c.getTopologyKey()).isEqualTo(ZONE);
                assertThat(c.getMaxSkew()).isEqualTo(1);
                assertThat(c.getWhenUnsatisfiable()).isEqualTo("DoNotSchedule");
                assertThat(labels).containsAllEntriesOf(c.getLabelSelector().getMatchLabels());
              });
      // every Vigil service takes the operator's keys from the shared Secret, never a literal
      // and its own etcd user's password from the etcd users' Secret
      if (!name.equals("vigil-etcd")) {
        Container service = pod.getContainers().get(0);
        fromSecret(at, service, "VIGIL_SECURITY_OPERATOR_KEY", "vigil-operator");
        fromSecret(at, service, "VIGIL_SECURITY_READER_KEY", "vigil-operator");
        fromSecret(at, service, "VIGIL_REGION_ETCD_PASSWORD", "vigil-etcd-users");
        if (name.equals("vigil-monitoring")) {
          // the keys that seal tenants' credentials
          fromSecret(at, service, "VIGIL_MONITORING_SECRETS_KEYS", "vigil-credential-keys");
        }
        if (name.equals("vigil-backup")) {
          // the keys every backup artifact is encrypted with
          fromSecret(at, service, "VIGIL_BACKUP_ENCRYPTION_KEYS", "vigil-backup-keys");
        }
        assertThat(service.getEnv())
            .as(at + " etcd user")
            .anySatisfy(
                e -> {
                  assertThat(e.getName()).isEqualTo("VIGIL_REGION_ETCD_USER");
                  assertThat(e.getValue()).isEqualTo(name);
                });
      }
      // a PDB covers it
      assertThat(pdbs)
          .as(at + " PodDisruptionBudget")
          .anySatisfy(
              pdb ->
                  assertThat(labels)
                      .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels()));
      confined(at, pod);
      for (Container c : pod.getContainers()) {
        String cat = at + "/" + c.getName();
        assertThat(c.getStartupProbe()).as(cat + " startup probe").isNotNull();
        assertThat(c.getLivenessProbe()).as(cat + " liveness probe").isNotNull();
        assertThat(c.getReadinessProbe()).as(cat + " readiness probe").isNotNull();
        if (c.getImage().contains("vigil/")) {
          // a Vigil service: the three health endpoints on its management interface, a port
          // of its own beside the API's
          assertThat(c.getPorts()).anySatisfy(p -> assertThat(p.getName()).isEqualTo("https"));
          // the API serves HTTPS with the vigil-tls Secret's certificate
          assertThat(pod.getVolumes())
              .anySatisfy(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("vigil-tls"));
          assertThat(c.getEnv())
              .anySatisfy(
                  e -> {
                    assertThat(e.getName()).isEqualTo("VIGIL_REGION_ADVERTISED_URL");
                    assertThat(e.getValue()).startsWith("https://");
                  });
          assertThat(c.getPorts())
              .anySatisfy(
                  p -> {
                    assertThat(p.getName()).isEqualTo("management");
                    assertThat(p.getContainerPort()).isEqualTo(9000);
                  });
          probe(cat, c.getStartupProbe(), "/q/health/started");
          probe(cat, c.getLivenessProbe(), "/q/health/live");
          probe(cat, c.getReadinessProbe(), "/q/health/ready");
          assertThat(
                  c.getStartupProbe().getPeriodSeconds()
                      * c.getStartupProbe().getFailureThreshold())
              .as(cat + " start-up budget in seconds")
              .isBetween(10, 600);
        }
      }
    }
    // etcd's authentication is set up by a Job that may reach etcd, passwords from the Secret
    JobModel auth = of(objects, JobModel.class).get(0);
    PodSpec authPod = auth.spec().template().getSpec();
    confined(region + " " + auth.metadata().getName(), authPod);
    assertThat(auth.spec().template().getMetadata().getLabels())
        .containsEntry("vigil.io/etcd-client", "true");
    for (String variable :
        List.of(
            "ETCD_ROOT_PASSWORD",
            "ETCD_ROUTER_PASSWORD",
            "ETCD_MONITORING_PASSWORD",
            "ETCD_BACKUP_PASSWORD")) {
      fromSecret(
          region + " etcd-auth", authPod.getContainers().get(0), variable, "vigil-etcd-users");
    }
    assertThat(workloads)
        .as(region + " workloads")
        .containsExactlyInAnyOrder(
            "vigil-router", "vigil-monitoring", "vigil-backup", "vigil-etcd");
    assertThat(hpas)
        .extracting(h -> h.getSpec().getScaleTargetRef().getName())
        .as(region + " autoscaled")
        .containsExactlyInAnyOrder("vigil-router", "vigil-monitoring");

    // default deny, then explicit flows
    assertThat(of(objects, NetworkPolicy.class))
        .anySatisfy(
            np -> {
              assertThat(np.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
              assertThat(np.getSpec().getPolicyTypes())
                  .containsExactlyInAnyOrder("Ingress", "Egress");
              assertThat(np.getSpec().getIngress()).isNullOrEmpty();
              assertThat(np.getSpec().getEgress()).isNullOrEmpty();
            });

    // notifications leave monitoring-service for HTTPS receivers, never for link-local metadata
    assertThat(of(objects, NetworkPolicy.class))
        .filteredOn(np -> np.getMetadata().getName().equals("monitoring-notifications"))
        .singleElement()
        .satisfies(
            np -> {
              var rule = np.getSpec().getEgress().get(0);
              assertThat(rule.getPorts())
                  .anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(443));
              assertThat(rule.getTo().get(0).getIpBlock().getExcept()).contains("169.254.0.0/16");
            });

    // PostgreSQL: three instances across zones, a synchronous replica, backups
    CnpgModel.Cluster pg = of(objects, CnpgModel.Cluster.class).get(0);
    assertThat(pg.spec().instances()).isEqualTo(3);
    assertThat(pg.spec().affinity().topologyKey()).isEqualTo(ZONE);
    assertThat(pg.spec().affinity().podAntiAffinityType()).isEqualTo("required");
    assertThat(pg.spec().postgresql().synchronous().number()).isGreaterThanOrEqualTo(1);
    assertThat(pg.spec().backup().barmanObjectStore().destinationPath()).contains(region);
    if (region.equals("us-east")) {
      assertThat(pg.spec().replica().enabled()).isTrue();
      assertThat(pg.spec().bootstrap().initdb()).isNull();
      assertThat(pg.spec().externalClusters())
          .extracting(CnpgModel.ExternalCluster::name)
          .contains(pg.spec().replica().source());
    } else {
      assertThat(pg.spec().replica()).isNull();
    }
    // metrics are scraped from the management port of every service, which each Service exposes
    assertThat(of(objects, ServiceMonitor.class).get(0).getSpec().getEndpoints())
        .allSatisfy(e -> assertThat(e.getPort()).isEqualTo("management"));
    for (String name : List.of("vigil-router", "vigil-monitoring", "vigil-backup")) {
      assertThat(of(objects, Service.class))
          .filteredOn(svc -> svc.getMetadata().getName().equals(name))
          .singleElement()
          .satisfies(
              svc ->
                  assertThat(svc.getSpec().getPorts())
                      .anySatisfy(p -> assertThat(p.getName()).isEqualTo("management")));
    }
    if (!rendered) {
      return;
    }
    // every object in the namespace, the region set in its configuration
    assertThat(of(objects, ConfigMap.class))
        .anySatisfy(cm -> assertThat(cm.getData()).containsEntry("VIGIL_REGION_NAME", region));
    assertThat(of(objects, ConfigMap.class))
        .anySatisfy(
            cm ->
                assertThat(cm.getData())
                    .containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled")
                    .containsKey("QUARKUS_TLS_KEY_STORE_PEM_0_CERT")
                    .containsKey("QUARKUS_TLS_TRUST_STORE_PEM_CERTS"));
    for (Object o : objects) {
      if (o instanceof HasMetadata m
          && !(o instanceof Namespace)
          && !(o instanceof ClusterRole)
          && !(o instanceof ClusterRoleBinding)) {
        assertThat(m.getMetadata().getNamespace())
            .as(m.getKind() + " " + m.getMetadata().getName())
            .isEqualTo("vigil");
      }
    }
  }

  /** Non-root, every container with requests and limits, read-only, no privilege, no caps. */
  private static void confined(String at, PodSpec pod) {
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(at + " runAsNonRoot").isTrue();
    List<Container> all = new ArrayList<>(pod.getContainers());
    all.addAll(Optional.ofNullable(pod.getInitContainers()).orElse(List.of()));
    for (Container c : all) {
      String cat = at + "/" + c.getName();
      assertThat(c.getResources().getRequests())
          .as(cat + " requests")
          .containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).as(cat + " limits").containsKey("memory");
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem())
          .as(cat + " read-only")
          .isTrue();
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(cat).isFalse();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(cat).contains("ALL");
    }
  }

  /** The container takes {@code variable} from {@code secret}, never as a literal. */
  private static void fromSecret(String at, Container c, String variable, String secret) {
    assertThat(c.getEnv())
        .as(at + " " + variable)
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo(variable);
              assertThat(e.getValue()).isNull();
              assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret);
            });
  }

  private static void probe(String at, Probe probe, String path) {
    assertThat(probe.getHttpGet()).as(at + " " + path).isNotNull();
    assertThat(probe.getHttpGet().getPath()).as(at).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort().getStrVal())
        .as(at + " probe port")
        .isEqualTo("management");
  }

  private static <T> List<T> of(List<Object> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(yaml)) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /** Reads a document into its typed model; fails on an unknown kind or an unknown field. */
  private static Object typed(JsonNode doc, String where) throws IOException {
    String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    Class<?> type = TYPES.get(key);
    assertThat(type).as("%s: no typed model for %s", where, key).isNotNull();
    String name = key + " " + doc.path("metadata").path("name").asText() + " in " + where;
    Object model =
        type.getName().startsWith("io.vigil")
            ? STRICT.treeToValue(doc, type)
            : LENIENT.treeToValue(doc, type);
    List<String> unknown = new ArrayList<>();
    unknownFields(model, "", unknown, new IdentityHashMap<>());
    assertThat(unknown).as("unknown fields of %s", name).isEmpty();
    return model;
  }

  /** Collects the additionalProperties of fabric8 models: fields the typed model does not know. */
  private static void unknownFields(
      Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        unknownFields(e, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
      return;
    }
    if (o instanceof Record r) {
      for (var component : r.getClass().getRecordComponents()) {
        try {
          component.getAccessor().setAccessible(true);
          unknownFields(
              component.getAccessor().invoke(r), path + "." + component.getName(), out, seen);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8")) {
      return;
    }
    for (Method method : o.getClass().getMethods()) {
      if (method.getParameterCount() != 0
          || !method.getName().startsWith("get")
          || method.getDeclaringClass() == Object.class) {
        continue;
      }
      try {
        Object value = method.invoke(o);
        if (method.getName().equals("getAdditionalProperties")) {
          if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
            out.add(path + " " + extra.keySet());
          }
        } else if (!Set.of("getClass").contains(method.getName())) {
          unknownFields(value, path + "." + method.getName().substring(3), out, seen);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
