package io.vigil.backup.service;

import java.io.IOException;
import java.nio.file.Path;

/** Test access to the snapshot integrity check. */
public final class EtcdSnapshotsAccess {

  private EtcdSnapshotsAccess() {}

  public static void checkTrailer(Path file) throws IOException {
    EtcdSnapshots.checkTrailer(file);
  }
}
