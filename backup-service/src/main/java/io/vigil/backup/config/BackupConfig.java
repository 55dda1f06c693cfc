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

  /** Time between two backups of each target, run by the region's backup leader. */
  Schedule schedule();

  /** The PostgreSQL server base backups are taken from. */
  Postgres postgres();

  /** Restore drills: the newest backup restored into a scratch instance on schedule. */
  Drill drill();

  /** Restore drill settings. */
  interface Drill {
    /** Whether the leader runs drills on schedule. */
    @WithDefault("true")
    boolean enabled();

    /** Time between two drills of each target. */
    @WithDefault("6h")
    Duration interval();

    /** Unprivileged user the scratch PostgreSQL runs as when this service runs as root. */
    @WithDefault("postgres")
    String postgresUser();
  }

  /** How many backups are kept, and for how long. */
  Retention retention();

  /**
   * Retention by count and age: a recovery point is deleted once it is both beyond the newest
   * {@code count} of its target and older than {@code min-age}; the newest is never deleted.
   */
  interface Retention {
    /** PostgreSQL base backups always kept. */
    @WithDefault("7")
    int postgresCount();

    /** etcd snapshots always kept. */
    @WithDefault("60")
    int etcdCount();

    /** Recovery points younger than this are kept whatever their number. */
    @WithDefault("1h")
    Duration minAge();
  }

  /** Backup schedules. */
  interface Schedule {
    /** Whether the leader takes backups on schedule (off: only on request). */
    @WithDefault("true")
    boolean enabled();

    /** Time between two PostgreSQL base backups. */
    @WithDefault("30m")
    Duration postgres();

    /** Time between two etcd snapshots. */
    @WithDefault("60s")
    Duration etcd();

    /** How often the leader looks for a due backup. */
    @WithDefault("1s")
    Duration tick();
  }

  /** Connection of {@code pg_basebackup} (a role with the REPLICATION attribute). */
  interface Postgres {
    /** Host of a PostgreSQL member (the primary or a replica); none = no PostgreSQL backups. */
    java.util.Optional<String> host();

    /** Port. */
    @WithDefault("5432")
    int port();

    /** Role. */
    @WithDefault("postgres")
    String user();

    /** Password (passed to the tools in {@code PGPASSWORD}). */
    java.util.Optional<String> password();

    /** Directory of {@code pg_basebackup} and {@code pg_verifybackup}; found when not set. */
    java.util.Optional<Path> binDir();
  }

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
