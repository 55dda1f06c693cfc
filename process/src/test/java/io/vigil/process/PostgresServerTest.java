package io.vigil.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PostgresServerTest {

  @Test
  void acceptsWritesAndRunsUnprivileged() throws Exception {
    try (PostgresServer pg = PostgresServer.start(Workspace.forTests(), "pg-single")) {
      try (Connection c = pg.connect(PostgresServer.DATABASE);
          var s = c.createStatement()) {
        s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
        assertThat(s.executeUpdate("INSERT INTO t VALUES (1, 'one'), (2, 'two')")).isEqualTo(2);
        try (ResultSet rs = s.executeQuery("SELECT count(*), max(v) FROM t")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(2);
          assertThat(rs.getString(2)).isEqualTo("two");
        }
        try (ResultSet rs = s.executeQuery("SELECT current_setting('data_checksums')")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("on");
        }
      }
      long serverUid = (Integer) java.nio.file.Files.getAttribute(pg.pgdata(), "unix:uid");
      if (Workspace.isRoot()) {
        assertThat(serverUid).as("the data directory belongs to an unprivileged user").isNotZero();
      }
    }
  }
}
