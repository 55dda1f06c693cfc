package io.vigil.backup.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a repository keeps its objects: keys are {@code /}-separated paths relative to the
 * repository's root. A filesystem directory ({@link FileStore}) or an S3-compatible bucket ({@link
 * S3Store}).
 */
public interface ObjectStore {

  /** One stored object. */
  record Entry(String key, long size) {}

  /** Stores {@code file} under {@code key}, replacing what was there; the file may be moved. */
  void put(String key, Path file, String sha256) throws IOException;

  /** Stores small content under {@code key}. */
  void put(String key, byte[] content) throws IOException;

  /** The content of {@code key}; empty when there is no such object. */
  Optional<InputStream> open(String key) throws IOException;

  /** The objects whose key starts with {@code prefix}. */
  List<Entry> list(String prefix) throws IOException;

  /** Deletes {@code key} (nothing when it is absent). */
  void delete(String key) throws IOException;

  /** A scratch directory on local disk for building artifacts before {@link #put}. */
  Path staging(String id) throws IOException;

  /** Where the store is, for messages. */
  String describe();

  /** Checks the store can be written (creates what it needs); throws with the reason. */
  void probe() throws IOException;
}
