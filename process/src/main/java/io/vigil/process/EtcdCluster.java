package io.vigil.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd cluster of one or more members on free loopback ports, with etcd's authentication
 * enabled: an anonymous client is refused, {@link #root()} may do everything and each {@linkplain
 * #addUser user} only what its role grants. Members can be killed and started again with their
 * data, to test what survives losing one.
 *
 * <p>Over 300 lines: besides the members' lifecycle it owns the cluster's authentication store
 * (root, users, roles, and the etcdctl calls made as a user), which only makes sense with the
 * cluster's endpoints and root password; {@link User}, {@link Grant} and {@link Call} are small
 * value types of that.
 */
public final class EtcdCluster implements AutoCloseable {

  /**
   * An etcd user and its password. etcdctl gets it in its environment ({@link #etcdctlEnv}), never
   * on its command line; {@link #toString} leaves the password out.
   */
  public record User(String name, String password) {
    /** No user: for an etcd without authentication. */
    public static final User ANONYMOUS = new User("", "");

    /** The environment that makes etcdctl act as this user. */
    public Map<String, String> etcdctlEnv() {
      return name.isEmpty() ? Map.of() : Map.of("ETCDCTL_USER", name, "ETCDCTL_PASSWORD", password);
    }

    @Override
    public String toString() {
      return "User[" + name + "]";
    }
  }

  /**
   * One permission of a role: {@code read}, {@code write} or {@code readwrite} on every key under
   * {@code prefix}.
   */
  public record Grant(String permission, String prefix) {
    /** Read access under {@code prefix}. */
    public static Grant read(String prefix) {
      return new Grant("read", prefix);
    }

    /** Read and write access under {@code prefix}. */
    public static Grant readWrite(String prefix) {
      return new Grant("readwrite", prefix);
    }
  }

  /** The name of etcd's administrative role and user. */
  public static final String ROOT = "root";

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
  private final User root;
  private final Map<String, User> users = new LinkedHashMap<>();

  private EtcdCluster(Workspace workspace, String clusterName, int size, User root) {
    this.workspace = workspace;
    this.clusterName = clusterName;
    this.root = root;
    for (int i = 0; i < size; i++) {
      String name = clusterName + "-" + (i + 1);
      members.add(new Member(name, Ports.free(), Ports.free(), workspace.dir(name)));
    }
  }

  /**
   * Starts a cluster of {@code size} members, waits until every member reports healthy, and enables
   * authentication with a new random root password.
   *
   * @param clusterName prefix of member names and logs, e.g. {@code etcd}
   */
  public static EtcdCluster start(Workspace workspace, String clusterName, int size) {
    return start(workspace, clusterName, size, newPassword());
  }

  /**
   * Starts a cluster of {@code size} members, waits until every member reports healthy, and enables
   * authentication with the given root password.
   */
  public static EtcdCluster start(
      Workspace workspace, String clusterName, int size, String rootPassword) {
    EtcdCluster cluster =
        new EtcdCluster(workspace, clusterName, size, new User(ROOT, rootPassword));
    cluster.members.forEach(m -> cluster.launch(m, "new"));
    cluster.members.forEach(cluster::awaitHealthy);
    cluster.enableAuth();
    return cluster;
  }

  /**
   * Starts a cluster with authentication off (anyone may do anything): only for testing a setup
   * that turns it on itself, such as the Kubernetes manifests' etcd-auth Job.
   */
  public static EtcdCluster startWithoutAuth(Workspace workspace, String clusterName, int size) {
    EtcdCluster cluster = new EtcdCluster(workspace, clusterName, size, User.ANONYMOUS);
    cluster.members.forEach(m -> cluster.launch(m, "new"));
    cluster.members.forEach(cluster::awaitHealthy);
    return cluster;
  }

  /**
   * A new cluster restored from a snapshot: every member's data directory is made by {@code etcdctl
   * snapshot restore} with the new cluster's member names, peer URLs and token, then the members
   * start on it. Users, roles and authentication come with the snapshot.
   *
   * @param root a user with etcd's root role in the cluster the snapshot was taken from ({@link
   *     User#ANONYMOUS} when it had no authentication)
   */
  public static EtcdCluster fromSnapshot(
      Workspace workspace, String clusterName, int size, Path snapshot, User root) {
    EtcdCluster cluster = new EtcdCluster(workspace, clusterName, size, root);
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

  private void enableAuth() {
    String endpoints = endpointList();
    Commands.runChecked(
        etcdctl(endpoints, "user", "add", ROOT, "--interactive=false"),
        Map.of(),
        root.password() + "\n",
        Duration.ofSeconds(30));
    Commands.runChecked(etcdctl(endpoints, "role", "add", ROOT), Duration.ofSeconds(30));
    Commands.runChecked(
        etcdctl(endpoints, "user", "grant-role", ROOT, ROOT), Duration.ofSeconds(30));
    Commands.runChecked(etcdctl(endpoints, "auth", "enable"), Duration.ofSeconds(30));
  }

  /**
   * Adds a user with a new random password and a role of the same name holding {@code grants} (or,
   * when {@code grants} is empty, etcd's root role: an administrator).
   */
  public synchronized User addUser(String name, List<Grant> grants) {
    User user = new User(name, newPassword());
    asRoot(Duration.ofSeconds(30), "user", "add", name, "--interactive=false")
        .run(user.password() + "\n");
    if (grants.isEmpty()) {
      asRoot(Duration.ofSeconds(30), "user", "grant-role", name, ROOT).run("");
    } else {
      asRoot(Duration.ofSeconds(30), "role", "add", name).run("");
      for (Grant g : grants) {
        asRoot(
                Duration.ofSeconds(30),
                "role",
                "grant-permission",
                name,
                "--prefix=true",
                g.permission(),
                g.prefix())
            .run("");
      }
      asRoot(Duration.ofSeconds(30), "user", "grant-role", name, name).run("");
    }
    users.put(name, user);
    return user;
  }

  /**
   * The configuration of a Vigil service that reaches this cluster as {@code user}: {@code
   * vigil.region.etcd.endpoints}, {@code .user} and {@code .password}.
   */
  public Map<String, String> serviceConfig(User user) {
    return serviceConfig(endpointList(), user);
  }

  /** The configuration of a Vigil service that reaches {@code endpoints} as {@code user}. */
  public static Map<String, String> serviceConfig(String endpoints, User user) {
    return Map.of(
        "vigil.region.etcd.endpoints", endpoints,
        "vigil.region.etcd.user", user.name(),
        "vigil.region.etcd.password", user.password());
  }

  /** Every user added so far and root, by name. */
  public synchronized Map<String, User> users() {
    Map<String, User> all = new LinkedHashMap<>();
    all.put(ROOT, root);
    all.putAll(users);
    return all;
  }

  /** The root user: may do everything. */
  public User root() {
    return root;
  }

  /** An etcdctl call as root against this cluster, to run with {@link Call#run}. */
  public Call asRoot(Duration timeout, String... args) {
    return new Call(endpointList(), root, timeout, args);
  }

  /** One etcdctl call as a user (credentials in its environment). */
  public record Call(String endpoints, User user, Duration timeout, String... args) {
    /** Runs it with {@code stdin} as its input; fails on a non-zero exit, answers its output. */
    public String run(String stdin) {
      return Commands.runChecked(etcdctl(endpoints, args), user.etcdctlEnv(), stdin, timeout);
    }

    /** Runs it and answers its exit code and output, whatever they are. */
    public Commands.Result attempt() {
      return Commands.run(etcdctl(endpoints, args), user.etcdctlEnv(), "", timeout);
    }
  }

  private static List<String> etcdctl(String endpoints, String... args) {
    return Stream.concat(
            Stream.of(Tools.etcdctl().toString(), "--endpoints=" + endpoints), Stream.of(args))
        .toList();
  }

  private static String newPassword() {
    return UUID.randomUUID().toString().replace("-", "");
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
        new Call(
                members.get(0).clientUrl(),
                root,
                Duration.ofSeconds(30),
                "endpoint",
                "status",
                "-w",
                "json")
            .run("");
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
