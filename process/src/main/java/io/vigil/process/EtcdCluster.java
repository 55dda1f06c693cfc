package io.vigil.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A real etcd cluster of one or more members on free loopback ports. Members can be killed and
 * started again with their data, to test what survives losing one.
 */
public final class EtcdCluster implements AutoCloseable {

  /** One member: its name, ports and data directory, and its process while it runs. */
  public static final class Member {
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private ManagedProcess process;

    Member(String name, int clientPort, int peerPort, Path dataDir) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = dataDir;
    }

    /** Member name. */
    public String name() {
      return name;
    }

    /** Client URL, e.g. {@code http://127.0.0.1:23791}. */
    public String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    /** Client port. */
    public int clientPort() {
      return clientPort;
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    /** The member's process, or null while it is not running. */
    public ManagedProcess process() {
      return process;
    }
  }

  private final Workspace workspace;
  private final String clusterName;
  private final List<Member> members = new ArrayList<>();

  private EtcdCluster(Workspace workspace, String clusterName, int size) {
    this.workspace = workspace;
    this.clusterName = clusterName;
    for (int i = 0; i < size; i++) {
      String name = clusterName + "-" + (i + 1);
      members.add(new Member(name, Ports.free(), Ports.free(), workspace.dir(name)));
    }
  }

  /**
   * Starts a cluster of {@code size} members and waits until every member reports healthy.
   *
   * @param clusterName prefix of member names and logs, e.g. {@code etcd}
   */
  public static EtcdCluster start(Workspace workspace, String clusterName, int size) {
    EtcdCluster cluster = new EtcdCluster(workspace, clusterName, size);
    cluster.members.forEach(m -> cluster.launch(m, "new"));
    cluster.members.forEach(cluster::awaitHealthy);
    return cluster;
  }

  /**
   * A new cluster restored from a snapshot: every member's data directory is made by {@code etcdctl
   * snapshot restore} with the new cluster's member names, peer URLs and token, then the members
   * start on it.
   */
  public static EtcdCluster fromSnapshot(
      Workspace workspace, String clusterName, int size, Path snapshot) {
    EtcdCluster cluster = new EtcdCluster(workspace, clusterName, size);
    String initialCluster =
        cluster.members.stream()
            .map(x -> x.name + "=" + x.peerUrl())
            .collect(Collectors.joining(","));
    for (Member m : cluster.members) {
      Workspace.deleteTree(m.dataDir);
      Commands.runChecked(
          List.of(
              Tools.etcdctl().toString(),
              "snapshot",
              "restore",
              snapshot.toString(),
              "--name=" + m.name,
              "--data-dir=" + m.dataDir,
              "--initial-cluster=" + initialCluster,
              "--initial-cluster-token=" + clusterName,
              "--initial-advertise-peer-urls=" + m.peerUrl()),
          Duration.ofMinutes(2));
    }
    cluster.members.forEach(m -> cluster.launch(m, "new"));
    cluster.members.forEach(cluster::awaitHealthy);
    return cluster;
  }

  /** The members, in order. */
  public List<Member> members() {
    return List.copyOf(members);
  }

  /** Client URLs of every member. */
  public List<String> endpoints() {
    return members.stream().map(Member::clientUrl).toList();
  }

  /** Client URLs joined with commas, as configuration takes them. */
  public String endpointList() {
    return String.join(",", endpoints());
  }

  /** The revision of the key space, as the first member reports it. */
  public long revision() {
    String status =
        Commands.runChecked(
            List.of(
                Tools.etcdctl().toString(),
                "--endpoints=" + members.get(0).clientUrl(),
                "endpoint",
                "status",
                "-w",
                "json"),
            Duration.ofSeconds(30));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(status);
    if (!m.find()) {
      throw new IllegalStateException("etcdctl endpoint status said: " + status);
    }
    return Long.parseLong(m.group(1));
  }

  /** Kills a member (SIGKILL): a crash. */
  public void kill(int index) {
    Member m = members.get(index);
    m.process.kill();
    m.process = null;
  }

  /** Starts a killed or stopped member again with its data, and waits until it is healthy. */
  public void restart(int index) {
    Member m = members.get(index);
    if (m.process != null && m.process.isAlive()) {
      throw new IllegalStateException(m.name + " is running");
    }
    launch(m, "existing");
    awaitHealthy(m);
  }

  /** Suspends a member (SIGSTOP). */
  public void suspend(int index) {
    members.get(index).process.suspend();
  }

  /** Resumes a suspended member. */
  public void resume(int index) {
    members.get(index).process.resume();
  }

  private void launch(Member m, String state) {
    String initialCluster =
        members.stream().map(x -> x.name + "=" + x.peerUrl()).collect(Collectors.joining(","));
    List<String> command =
        List.of(
            Tools.etcd().toString(),
            "--name=" + m.name,
            "--data-dir=" + m.dataDir,
            "--listen-client-urls=" + m.clientUrl(),
            "--advertise-client-urls=" + m.clientUrl(),
            "--listen-peer-urls=" + m.peerUrl(),
            "--initial-advertise-peer-urls=" + m.peerUrl(),
            "--initial-cluster=" + initialCluster,
            "--initial-cluster-token=" + clusterName,
            "--initial-cluster-state=" + state,
            "--heartbeat-interval=100",
            "--election-timeout=1000",
            "--logger=zap",
            "--log-level=warn");
    m.process = workspace.start(m.name, command, Map.of());
  }

  private void awaitHealthy(Member m) {
    Readiness.await(
        m.process,
        m.name + " healthy",
        Duration.ofSeconds(30),
        () -> {
          Http.Response r = Http.get(m.clientUrl() + "/health");
          return r.status() == 200 && r.body().contains("\"health\":\"true\"");
        });
  }

  /** Stops every member and deletes their data. */
  @Override
  public void close() {
    for (Member m : members) {
      if (m.process != null) {
        m.process.stop(Duration.ofSeconds(5));
        m.process = null;
      }
      Workspace.deleteTree(m.dataDir);
    }
  }
}
