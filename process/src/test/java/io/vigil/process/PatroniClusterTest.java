package io.vigil.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PatroniClusterTest {

  private static final Logger LOG = Logger.getLogger(PatroniClusterTest.class);

  @Test
  void newLeaderAfterLeaderIsKilledHasEveryAcknowledgedRow() throws Exception {
    Workspace ws = Workspace.forTests();
    try (EtcdCluster etcd = EtcdCluster.start(ws, "etcd-patroni", 3);
        PatroniCluster pg =
            PatroniCluster.start(
                ws,
                etcd,
                "vigil-test",
                List.of("pg-zone-a", "pg-zone-b", "pg-zone-c"),
                PatroniCluster.Timings.FAST)) {
      PatroniCluster.Member leader = pg.awaitLeader(Duration.ofSeconds(30));
      assertThat(pg.syncStandby()).isPresent().get().isNotEqualTo(leader);

      Set<Integer> acknowledged = new HashSet<>();
      try (Connection c = pg.connect(leader, PostgresServer.DATABASE);
          var s = c.createStatement()) {
        s.execute("CREATE TABLE acked (id int PRIMARY KEY)");
        try (ResultSet rs = s.executeQuery("SHOW synchronous_standby_names")) {
          rs.next();
          assertThat(rs.getString(1)).as("synchronous_mode is in force").isNotBlank();
        }
        for (int i = 0; i < 200; i++) {
          s.executeUpdate("INSERT INTO acked VALUES (" + i + ")");
          acknowledged.add(i); // autocommit: the insert returned, so the commit was acknowledged
        }
      }

      long killedAt = System.nanoTime();
      pg.kill(leader);
      PatroniCluster.Member newLeader = pg.awaitLeader(Duration.ofSeconds(90));
      List<Integer> found = new ArrayList<>();
      writeUntilAccepted(pg, newLeader, 200);
      double seconds = (System.nanoTime() - killedAt) / 1e9;
      LOG.infof("Patroni: writes accepted %.1f s after the leader was killed", seconds);

      assertThat(newLeader.name()).isNotEqualTo(leader.name());
      try (Connection c = pg.connect(newLeader, PostgresServer.DATABASE);
          var s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id FROM acked")) {
        while (rs.next()) {
          found.add(rs.getInt(1));
        }
      }
      assertThat(found).containsAll(acknowledged).contains(200);
    }
  }

  private static void writeUntilAccepted(PatroniCluster pg, PatroniCluster.Member m, int id) {
    Readiness.await(
        "a write on the new leader",
        Duration.ofSeconds(60),
        () -> {
          try (Connection c = pg.connect(m, PostgresServer.DATABASE);
              var s = c.createStatement()) {
            return s.executeUpdate("INSERT INTO acked VALUES (" + id + ")") == 1;
          } catch (SQLException e) {
            return false;
          }
        });
  }
}
