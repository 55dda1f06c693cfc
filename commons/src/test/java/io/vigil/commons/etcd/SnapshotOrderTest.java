package io.vigil.commons.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which of two prefix reads answered out of order is kept in force. */
class SnapshotOrderTest {

  private static EtcdGateway.Snapshot read(long cluster, long revision) {
    return new EtcdGateway.Snapshot(cluster, revision, Map.of());
  }

  @Test
  void anOlderReadAnsweredLastDoesNotReplaceANewerOne() {
    assertThat(read(7, 41).supersedes(read(7, 42))).isFalse();
    assertThat(read(7, 42).supersedes(read(7, 41))).isTrue();
    assertThat(read(7, 42).supersedes(read(7, 42))).isTrue();
    assertThat(read(7, 1).supersedes(null)).isTrue();
  }

  @Test
  void aReadOfAnotherClusterReplacesWhateverItsRevision() {
    // a cluster restored from a snapshot has a new id and may be at a lower revision
    assertThat(read(8, 3).supersedes(read(7, 42))).isTrue();
  }
}
