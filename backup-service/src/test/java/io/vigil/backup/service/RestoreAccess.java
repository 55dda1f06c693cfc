package io.vigil.backup.service;

import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;

/** Test access: a restore service over another repository (another region's). */
public final class RestoreAccess {

  private RestoreAccess() {}

  public static RestoreService over(BackupRepository repository, BackupConfig config) {
    return new RestoreService(repository, config);
  }
}
