package io.vigil.backup.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A repository in a directory. Objects are written to a temporary name, flushed to disk and renamed
 * into place, so a reader sees an object whole or not at all. Staging lives on the same file
 * system, so a finished artifact is moved in, not copied.
 */
public final class FileStore implements ObjectStore {

  private final Path root;

  public FileStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  private Path path(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || key.startsWith(".staging")) {
      throw new IllegalArgumentException("key outside the repository: " + key);
    }
    return p;
  }

  @Override
  public void put(String key, Path file, String sha256) throws IOException {
    Path target = path(key);
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try {
        Files.move(file, tmp, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | NoSuchFileException e) {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      force(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    Path target = path(key);
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.write(tmp, content);
      force(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void force(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  @Override
  public Optional<InputStream> open(String key) throws IOException {
    try {
      return Optional.of(Files.newInputStream(path(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public List<Entry> list(String prefix) throws IOException {
    // walk from the deepest directory the prefix names
    int slash = prefix.lastIndexOf('/');
    Path dir = slash < 0 ? root : path(prefix.substring(0, slash));
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String key = root.relativize(f).toString().replace('\\', '/');
        if (key.startsWith(prefix)
            && !f.getFileName().toString().startsWith(".")
            && !key.startsWith(".staging/")) {
          try {
            out.add(new Entry(key, Files.size(f)));
          } catch (NoSuchFileException e) {
            // deleted while listing
          }
        }
      }
    } catch (java.io.UncheckedIOException e) {
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw e.getCause();
      }
    }
    return out;
  }

  @Override
  public void delete(String key) throws IOException {
    Path p = path(key);
    Files.deleteIfExists(p);
    // drop directories the deletion emptied (a base backup's own directory)
    Path dir = p.getParent();
    while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
      try (Stream<Path> rest = Files.list(dir)) {
        if (rest.findAny().isPresent()) {
          break;
        }
      } catch (NoSuchFileException e) {
        break;
      }
      try {
        Files.delete(dir);
      } catch (IOException e) {
        break;
      }
      dir = dir.getParent();
    }
  }

  @Override
  public Path staging(String id) throws IOException {
    return Files.createDirectories(root.resolve(".staging").resolve(id));
  }

  @Override
  public String describe() {
    return root.toString();
  }

  @Override
  public void probe() throws IOException {
    Files.createDirectories(root);
    Path probe = Files.createTempFile(root, ".probe", ".tmp");
    Files.delete(probe);
  }
}
