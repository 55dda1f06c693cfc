package io.vigil.backup.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.vigil.process.PostgresServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Configuration of the backup service. */
@ConfigMapping(prefix = "vigil.backup")
public interface BackupConfig {

  /**
   * How long {@code POST /backups/{target}}, {@code POST /backups/drills/{target}} and {@code POST
   * /restores} wait for their work before answering 202 Accepted with where to follow it (the work
   * goes on): no request stays open longer, so the HTTP idle timeout can be short.
   */
  @WithDefault("90s")
  Duration requestWait();

  /** The backup repository. */
  Repository repository();

  /** Encryption at rest of every artifact. */
  Encryption encryption();

  /** How base backups are compressed (zstd). */
  Compression compression();

  /** zstd settings of base backups. */
  interface Compression {
    /** zstd level (1 fastest .. 19 smallest). */
    @WithDefault("3")
    int level();

    /** Compression threads; 0 = one per core. */
    @WithDefault("0")
    int threads();
  }

  /**
   * Artifacts (base backups, WAL segments and partials, etcd snapshots) are encrypted with
   * AES-256-GCM before they are stored, in every repository and copy, when keys are configured.
   */
  interface Encryption {
    /**
     * Keys as {@code id:base64} of 32 bytes: the first encrypts new artifacts, every one decrypts
     * (rotation: add the new key first, keep old ones while their artifacts are kept). None: stored
     * plain.
     */
    Optional<java.util.List<String>> keys();
  }

  /** Recovery point objectives per target. */
  Rpo rpo();

  /** Copies of every artifact in another region's repository. */
  Copy copy();

  /** Continuous WAL archiving. */
  Wal wal();

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

    /**
     * Patroni's scope: WAL is then streamed from the leader Patroni records in etcd, followed
     * across failovers (else from {@code host}).
     */
    java.util.Optional<String> patroniScope();

    /** Patroni's etcd namespace. */
    @WithDefault("/service/")
    String patroniNamespace();

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

  /**
   * The only directory restores write into: a restore's {@code directory} must lie inside it (after
   * resolving {@code ..} and symbolic links), anything else is refused with 400 — so the API cannot
   * unpack the region's data wherever the service may write.
   */
  @WithDefault(".vigil/restores")
  Path restoreRoot();

  /** Backup repository settings. */
  interface Repository {
    /** Directory of a filesystem repository (used when no {@code s3} bucket is configured). */
    @WithDefault(".vigil/backups")
    Path path();

    /** An S3-compatible bucket as the repository instead of a directory. */
    Optional<S3> s3();

    /** Local directory where artifacts are built before they go to an S3 repository. */
    @WithDefault("${java.io.tmpdir}/vigil-backup")
    Path staging();

    /** Time between two checks that the repository is writable. */
    @WithDefault("2s")
    Duration checkInterval();
  }

  /** An S3-compatible bucket (AWS S3, MinIO, Ceph, S3Proxy), reached with path-style requests. */
  interface S3 {
    /** Endpoint URL, e.g. {@code https://s3.us-south.cloud-object-storage.appdomain.cloud}. */
    URI endpoint();

    /** Bucket (created when absent). */
    String bucket();

    /** Key prefix inside the bucket (none: the bucket's root). */
    Optional<String> prefix();

    /** Access key id. */
    String accessKey();

    /** Secret access key. */
    String secretKey();

    /** Region named in request signatures (none: {@code us-east-1}). */
    Optional<String> region();
  }

  /**
   * The other region's repository: every artifact stored here is copied there and its checksum
   * verified there (a directory or a bucket; neither = no copies).
   */
  interface Copy {
    /** Directory of the other region's repository. */
    Optional<Path> path();

    /** Bucket of the other region's repository. */
    Optional<S3> s3();

    /** Time between two attempts to copy what is still missing there. */
    @WithDefault("5s")
    Duration retryInterval();
  }

  /** Continuous WAL archiving with {@code pg_receivewal} (point-in-time recovery). */
  interface Wal {
    /** Whether the leader streams WAL into the repository. */
    @WithDefault("true")
    boolean enabled();

    /** Local directory {@code pg_receivewal} writes into before segments are shipped. */
    @WithDefault("${java.io.tmpdir}/vigil-wal")
    Path spool();

    /**
     * Time between two copies of the segment being written (the {@code .partial} one, without its
     * zero-filled tail) into the repository: the PostgreSQL RPO while the stream is up.
     */
    @WithDefault("1s")
    Duration partialInterval();

    /**
     * The physical replication slot the stream goes through, so the primary keeps WAL until it is
     * archived (up to its {@code max_slot_wal_keep_size}) while the stream is down or behind;
     * created on the primary when missing. A Patroni cluster must declare it a permanent slot, or
     * Patroni drops it whenever no stream holds it (the local region's clusters do).
     */
    @WithDefault(PostgresServer.WAL_ARCHIVE_SLOT)
    String slot();

    /** Wait before restarting a {@code pg_receivewal} that stopped (a lost primary). */
    @WithDefault("1s")
    Duration restartDelay();
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
