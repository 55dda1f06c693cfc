package io.vigil.k8s;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * Typed models of the CloudNativePG resources Vigil uses ({@code postgresql.cnpg.io/v1}), with
 * exactly the fields of CNPG's API that the manifests set: read strictly, so a misspelt or
 * misplaced field fails the test (fabric8 has no CNPG model).
 */
final class CnpgModel {

  private CnpgModel() {}

  @JsonIgnoreProperties(value = {"apiVersion", "kind"})
  record Cluster(Metadata metadata, ClusterSpec spec) {}

  @JsonIgnoreProperties(value = {"apiVersion", "kind"})
  record ScheduledBackup(Metadata metadata, ScheduledBackupSpec spec) {}

  record Metadata(
      String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {}

  record ClusterSpec(
      int instances,
      String imageName,
      String primaryUpdateStrategy,
      Postgresql postgresql,
      Affinity affinity,
      Bootstrap bootstrap,
      Storage storage,
      Resources resources,
      Monitoring monitoring,
      Backup backup,
      Replica replica,
      List<ExternalCluster> externalClusters) {}

  record Postgresql(Map<String, String> parameters, Synchronous synchronous) {}

  record Synchronous(String method, int number, String dataDurability) {}

  record Affinity(Boolean enablePodAntiAffinity, String podAntiAffinityType, String topologyKey) {}

  record Bootstrap(Initdb initdb, Recovery recovery) {}

  record Initdb(String database, String owner, SecretRef secret) {}

  record Recovery(String source) {}

  record SecretRef(String name) {}

  record Storage(String size, String storageClass) {}

  record Resources(Map<String, String> requests, Map<String, String> limits) {}

  record Monitoring(Boolean enablePodMonitor) {}

  record Backup(String retentionPolicy, BarmanObjectStore barmanObjectStore) {}

  record BarmanObjectStore(
      String destinationPath,
      String endpointURL,
      S3Credentials s3Credentials,
      Compression wal,
      Compression data) {}

  record S3Credentials(KeyRef accessKeyId, KeyRef secretAccessKey) {}

  record KeyRef(String name, String key) {}

  record Compression(String compression) {}

  record Replica(boolean enabled, String source) {}

  record ExternalCluster(String name, BarmanObjectStore barmanObjectStore) {}

  record ScheduledBackupSpec(String schedule, String backupOwnerReference, SecretRef cluster) {}
}
