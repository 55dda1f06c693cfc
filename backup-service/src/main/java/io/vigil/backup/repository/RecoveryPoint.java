package io.vigil.backup.repository;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;

/**
 * The metadata of one backup artifact, stored beside it in the repository: everything a restore
 * needs to find, check and place it.
 *
 * @param target {@code postgres} or {@code etcd}
 * @param id backup id (sortable by time)
 * @param region region the backup was taken in
 * @param file artifact path relative to the region's directory of the repository
 * @param size artifact size in bytes
 * @param sha256 SHA-256 of the artifact, hex
 * @param startedAt when the backup began
 * @param time the recovery point: the state the artifact restores to
 * @param revision etcd revision of a snapshot; for a base backup, etcd's revision at its consistent
 *     point (a recovery point of the region pairs the two)
 * @param lsn PostgreSQL start LSN of a base backup or WAL segment; for a snapshot, PostgreSQL's WAL
 *     position when it was taken
 * @param endLsn PostgreSQL LSN the base backup is consistent at
 * @param timeline PostgreSQL timeline
 * @param verifiedWith the check the artifact passed before it counted
 * @param encryption how the stored bytes are encrypted (null: plain); {@code size} and {@code
 *     sha256} are always those of the stored bytes, checkable without the key
 */
@RegisterForReflection
public record RecoveryPoint(
    String target,
    String id,
    String region,
    String file,
    long size,
    String sha256,
    Instant startedAt,
    Instant time,
    Long revision,
    String lsn,
    String endLsn,
    Integer timeline,
    String verifiedWith,
    Encryption encryption) {

  /**
   * An encrypted artifact's key and format ({@link ArtifactCipher}), and its content's size and
   * SHA-256, checked after decryption.
   */
  @RegisterForReflection
  public record Encryption(String keyId, String format, long contentSize, String contentSha256) {}

  /** The same artifact with the size and SHA-256 of its content. */
  RecoveryPoint sized(long contentSize, String contentSha256) {
    return new RecoveryPoint(
        target,
        id,
        region,
        file,
        contentSize,
        contentSha256,
        startedAt,
        time,
        revision,
        lsn,
        endLsn,
        timeline,
        verifiedWith,
        encryption);
  }

  /** The same artifact as stored: encrypted into {@code size} bytes with {@code sha256}. */
  RecoveryPoint encrypted(String keyId, long storedSize, String storedSha256) {
    return new RecoveryPoint(
        target,
        id,
        region,
        file,
        storedSize,
        storedSha256,
        startedAt,
        time,
        revision,
        lsn,
        endLsn,
        timeline,
        verifiedWith,
        new Encryption(keyId, ArtifactCipher.FORMAT, size, sha256));
  }
}
