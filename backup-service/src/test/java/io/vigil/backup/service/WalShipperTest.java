package io.vigil.backup.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.FileStore;
import io.vigil.backup.repository.RecoveryPoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool changes while it is shipped: pg_receivewal completes the segment it writes (renames
 * {@code X.partial} to {@code X}) at any moment, also between the shipper's listing and its copy.
 */
class WalShipperTest {

  private static final String DONE = "000000010000000000000057";
  private static final String WRITING = "000000010000000000000058";

  @TempDir Path dir;

  @Test
  void aPartialSegmentCompletedWhileTheTurnShipsIsShippedCompleteInTheSameTurn() throws Exception {
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Files.write(spool.resolve(DONE), segment(1));
    Files.write(spool.resolve(WRITING + ".partial"), segment(2));
    BackupRepository repository =
        new BackupRepository(
            new FileStore(dir.resolve("repo")),
            "r",
            new ObjectMapper().registerModule(new JavaTimeModule()));
    // while the complete segment is stored (after the listing), pg_receivewal completes the next
    repository.onStored(
        key -> {
          if (key.contains(DONE) && Files.exists(spool.resolve(WRITING + ".partial"))) {
            try {
              Files.move(spool.resolve(WRITING + ".partial"), spool.resolve(WRITING));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        });
    WalShipper shipper =
        new WalShipper(spool, repository, "r", Path.of("/nonexistent"), Duration.ofSeconds(1));

    Instant before = Instant.now();
    Optional<Instant> upTo = shipper.ship();

    // the turn ends up to date: everything the spool held is in the repository, both complete
    assertThat(upTo).isPresent();
    assertThat(upTo.get()).isAfterOrEqualTo(before);
    assertThat(repository.list(BackupRepository.WAL))
        .extracting(RecoveryPoint::id)
        .containsExactlyInAnyOrder(DONE, WRITING);
    assertThat(repository.list(BackupRepository.WAL))
        .filteredOn(p -> p.id().equals(WRITING))
        .singleElement()
        .satisfies(p -> assertThat(p.endLsn()).isEqualTo("0/59000000"));
  }

  /** A segment's worth of bytes (what is in it does not matter to a complete segment's copy). */
  private static byte[] segment(int fill) {
    byte[] b = new byte[(int) WalSegments.SEGMENT_SIZE];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }
}
