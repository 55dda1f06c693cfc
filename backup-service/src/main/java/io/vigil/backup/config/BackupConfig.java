package io.vigil.backup.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Configuration of the backup service. */
@ConfigMapping(prefix = "vigil.backup")
public interface BackupConfig {

  /** The backup repository. */
  Repository repository();

  /** Recovery point objectives per target. */
  Rpo rpo();

  /** Backup repository settings. */
  interface Repository {
    /** Directory of a filesystem repository. */
    @WithDefault(".vigil/backups")
    Path path();

    /** Time between two checks that the repository is writable. */
    @WithDefault("2s")
    Duration checkInterval();
  }

  /** Recovery point objectives. */
  interface Rpo {
    /** Most PostgreSQL data that may be at risk. */
    @WithDefault("60s")
    Duration postgres();

    /** Most etcd data that may be at risk. */
    @WithDefault("300s")
    Duration etcd();
  }
}
