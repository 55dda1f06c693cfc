package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where processes keep their data and logs, and as whom they run. PostgreSQL refuses to run as
 * root, so when this JVM is root, PostgreSQL and Patroni run as an unprivileged user ({@code
 * postgres}, which the Debian package creates, or {@code vigil.pg.user}) and their directories are
 * handed to it.
 */
public final class Workspace {

  private final Path root;
  private final Path logs;
  private final boolean detached;

  /**
   * @param root directory for data (created)
   * @param logs directory for process logs (created)
   * @param detached whether processes outlive this JVM (the vigil command) or not (tests)
   */
  public Workspace(Path root, Path logs, boolean detached) {
    this.root = root.toAbsolutePath();
    this.logs = logs.toAbsolutePath();
    this.detached = detached;
    mkdirs(this.root);
    mkdirs(this.logs);
  }

  /**
   * A workspace whose data directory starts empty: a benchmark's scratch data, where what a run
   * that was killed left behind (its processes died with it) would keep the next one from starting.
   */
  public static Workspace scratch(Path root, Path logs) {
    deleteTree(root);
    return new Workspace(root, logs, false);
  }

  /**
   * A workspace for tests: data under {@code target/testkit/<random>}, logs in the directory named
   * by {@code vigil.testkit.logs} (the build sets {@code target/process-logs}).
   */
  public static Workspace forTests() {
    Path logs = Path.of(System.getProperty("vigil.testkit.logs", "target/process-logs"));
    Path root = Path.of("target", "testkit", UUID.randomUUID().toString().substring(0, 8));
    return new Workspace(root, logs, false);
  }

  /** Data root. */
  public Path root() {
    return root;
  }

  /** Whether processes outlive this JVM. */
  public boolean detached() {
    return detached;
  }

  /** A fresh directory under the data root. */
  public Path dir(String name) {
    Path dir = root.resolve(name);
    mkdirs(dir);
    return dir;
  }

  /** The log file of a process. */
  public Path log(String name) {
    return logs.resolve(name + ".log");
  }

  /** Starts a process in this workspace. */
  public ManagedProcess start(
      String name, List<String> command, java.util.Map<String, String> env) {
    return ManagedProcess.start(name, command, env, root, log(name), detached);
  }

  /** Whether PostgreSQL must run as another user (this JVM runs as root). */
  public static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The user PostgreSQL and Patroni run as when this JVM is root. */
  public static String unprivilegedUser() {
    return System.getProperty("vigil.pg.user", "postgres");
  }

  /** The command prefix that runs a program as the unprivileged user when needed. */
  public static List<String> asUnprivileged(List<String> command) {
    return asUser(unprivilegedUser(), command);
  }

  /**
   * Runs {@code command} as {@code user} (setpriv, a clean environment) when this JVM is root;
   * otherwise as it is.
   */
  public static List<String> asUser(String user, List<String> command) {
    if (!isRoot()) {
      return command;
    }
    List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user));
    full.add("--init-groups");
    full.add("--reset-env");
    full.add("--");
    full.addAll(command);
    return full;
  }

  /**
   * Writes a file only its owner can read or write (mode 0600 from its creation on): for anything
   * holding a key or a password.
   */
  public static void writePrivate(Path file, String content) {
    try {
      Files.deleteIfExists(file);
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Hands a directory tree to the unprivileged user (when root) with mode 0700, and makes sure
   * every parent up to the filesystem root can be traversed.
   */
  public static void handOver(Path dir) {
    handOver(dir, unprivilegedUser());
  }

  /** Hands a directory tree to {@code owner} (when root), as {@link #handOver(Path)} does. */
  public static void handOver(Path dir, String owner) {
    if (!isRoot()) {
      return;
    }
    try {
      UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
      UserPrincipal user = lookup.lookupPrincipalByName(owner);
      GroupPrincipal group = lookup.lookupPrincipalByGroupName(owner);
      try (Stream<Path> tree = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) tree::iterator) {
          PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
          view.setOwner(user);
          view.setGroup(group);
        }
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      for (Path parent = dir.toAbsolutePath().getParent();
          parent != null;
          parent = parent.getParent()) {
        var perms = Files.getPosixFilePermissions(parent);
        if (perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
          Files.setPosixFilePermissions(parent, perms);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not hand " + dir + " to " + owner, e);
    }
  }

  /** Deletes a directory tree; used for data of processes that have stopped. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }

  private static void mkdirs(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
