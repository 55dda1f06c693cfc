package io.vigil.monitoring.repository;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vigil.process.PostgresServer;
import io.vigil.testkit.PostgresResource;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * An installation upgraded from schema V5 with records in it: {@code records} is switched to day
 * partitions online while stores and reads by id go on, and nothing is lost, doubled or refused for
 * longer than the switch's lock.
 */
@QuarkusTest
class RecordsSwitchTest {

  private static final Logger LOG = Logger.getLogger(RecordsSwitchTest.class);
  private static final int OLD_ROWS = 200_000;

  @Inject Vertx vertx;

  @Test
  void recordsMoveToDayPartitionsWhileStoresAndReadsGoOn() throws Exception {
    PostgresServer pg = PostgresResource.current();
    String db = "switch_" + Long.toHexString(System.nanoTime());
    pg.execute(PostgresServer.DATABASE, "CREATE DATABASE " + db);
    Flyway.configure()
        .dataSource(pg.jdbcUrl(db), PostgresServer.USER, pg.password())
        .target("5")
        .load()
        .migrate();
    // what the version before stored: 200,000 records over the last 30 days
    pg.execute(
        db,
        "INSERT INTO service_instances (id, name) VALUES ('t', 't');"
            + " INSERT INTO resources (service_instance_id, kind, id, entity, created_at,"
            + " created_by, modified_at, modified_by) VALUES ('t', 'data_sets', 'ds', '{}', now(),"
            + " 'x', now(), 'x');"
            + " INSERT INTO records (data_set_id, record_id, service_instance_id, ts, row_values,"
            + " request_id) SELECT 'ds', 'old-' || i, 't', now() - (i % 30) * interval '1 day',"
            + " jsonb_build_object('Age', i % 80), 'old' FROM generate_series(1, "
            + OLD_ROWS
            + ") i");
    Flyway.configure()
        .dataSource(pg.jdbcUrl(db), PostgresServer.USER, pg.password())
        .load()
        .migrate();

    Pool pool =
        PgPool.pool(
            vertx,
            new PgConnectOptions()
                .setHost("127.0.0.1")
                .setPort(pg.port())
                .setDatabase(db)
                .setUser(PostgresServer.USER)
                .setPassword(pg.password()),
            new PoolOptions().setMaxSize(6));
    RecordPartitions partitions = new RecordPartitions(pool);
    RecordRepository records = new RecordRepository(partitions);
    RecordsSwitch recordsSwitch = new RecordsSwitch(pool);
    try {
      // a client stores batches of 20 new records and sends 5 old ones again; another reads by id
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger retried = new AtomicInteger();
      AtomicLong slowestMs = new AtomicLong();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int b = 0; !stop.get() && b < 5_000; b++) {
                      List<RecordRow> rows = new ArrayList<>();
                      for (int i = 0; i < 20; i++) {
                        rows.add(row("new-" + b + "-" + i, Instant.now()));
                      }
                      for (int i = 0; i < 5; i++) {
                        rows.add(row("old-" + (1 + (b * 5 + i) % OLD_ROWS), Instant.now()));
                      }
                      for (int attempt = 0; ; attempt++) {
                        long t0 = System.nanoTime();
                        try {
                          Integer stored =
                              records
                                  .store(pool, "t", "ds", "req-" + b, rows)
                                  .await()
                                  .atMost(Duration.ofSeconds(20));
                          slowestMs.accumulateAndGet(
                              (System.nanoTime() - t0) / 1_000_000, Math::max);
                          if (stored != 20) {
                            failures.add(new AssertionError("batch " + b + " stored " + stored));
                          }
                          rows.subList(0, 20).forEach(r -> acknowledged.add(r.recordId()));
                          break;
                        } catch (Exception e) {
                          // a row dated past the bound being checked would be refused with 503
                          // and retried; nothing else may fail
                          if (attempt < 3
                              && String.valueOf(e.getMessage())
                                  .contains("records_before_partitions")) {
                            retried.incrementAndGet();
                            continue;
                          }
                          failures.add(e);
                          break;
                        }
                      }
                    }
                  });
      AtomicInteger reads = new AtomicInteger();
      Thread reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 1; !stop.get() && i < 100_000; i += 997) {
                      try {
                        RecordRepository.Stored r =
                            records
                                .one(pool, "t", "ds", "old-" + i)
                                .await()
                                .atMost(Duration.ofSeconds(20));
                        if (r == null) {
                          failures.add(new AssertionError("old-" + i + " not found"));
                        }
                        reads.incrementAndGet();
                      } catch (Exception e) {
                        failures.add(e);
                      }
                    }
                  });

      Thread.sleep(300);
      long t0 = System.nanoTime();
      pool.withConnection(c -> recordsSwitch.run(c, 20_000, Duration.ofSeconds(3)))
          .await()
          .atMost(Duration.ofMinutes(3));
      long switchMs = (System.nanoTime() - t0) / 1_000_000;
      Thread.sleep(500); // stores go on into the partitioned table
      stop.set(true);
      writer.join();
      reader.join();
      LOG.infof(
          "switched %,d records in %d ms while %,d were stored and %d read by id; slowest store"
              + " %d ms, %d retried",
          OLD_ROWS, switchMs, acknowledged.size(), reads.get(), slowestMs.get(), retried.get());

      assertThat(failures).isEmpty();
      assertThat(acknowledged).hasSizeGreaterThan(200);
      assertThat(slowestMs.get())
          .as("no store waited longer than the switch's lock")
          .isLessThan(4_000);
      assertThat(scalar(pool, "SELECT relkind::text FROM pg_class WHERE oid = 'records'::regclass"))
          .isEqualTo("p");
      // every record once: the old ones sent again were not stored twice
      assertThat(scalar(pool, "SELECT count(*) FROM records"))
          .isEqualTo(Long.toString(OLD_ROWS + acknowledged.size()));
      assertThat(scalar(pool, "SELECT count(DISTINCT record_id) FROM records"))
          .isEqualTo(Long.toString(OLD_ROWS + acknowledged.size()));
      assertThat(scalar(pool, "SELECT count(*) FROM record_keys"))
          .isEqualTo(Long.toString(OLD_ROWS + acknowledged.size()));
      // the old rows are one partition, every time before a day at least two days ahead
      String before =
          scalar(
              pool,
              "SELECT string_agg(c.relname, ',') FROM pg_inherits i JOIN pg_class c ON c.oid ="
                  + " i.inhrelid WHERE i.inhparent = 'records'::regclass AND c.relname LIKE"
                  + " 'records_before_%'");
      LocalDate bound = LocalDate.parse(before.substring(15), DateTimeFormatter.BASIC_ISO_DATE);
      assertThat(bound).isAfterOrEqualTo(LocalDate.now(ZoneOffset.UTC).plusDays(2));
      assertThat(scalar(pool, "SELECT count(*) FROM " + before))
          .isEqualTo(Long.toString(OLD_ROWS + acknowledged.size()));
      assertThat(
              scalar(
                  pool,
                  "SELECT count(*) FROM pg_trigger WHERE tgname = 'record_keys_of_legacy_rows'"))
          .isEqualTo("0");

      // a record dated after the bound gets a day partition of its own
      Instant later =
          bound.plusDays(3).atStartOfDay(ZoneOffset.UTC).toInstant().plus(5, ChronoUnit.HOURS);
      assertThat(
              records
                  .store(pool, "t", "ds", "req-later", List.of(row("later", later)))
                  .await()
                  .indefinitely())
          .isEqualTo(1);
      assertThat(
              scalar(
                  pool,
                  "SELECT tableoid::regclass::text FROM records WHERE data_set_id = 'ds' AND"
                      + " record_id = 'later'"))
          .isEqualTo("records_" + DateTimeFormatter.BASIC_ISO_DATE.format(bound.plusDays(3)));
      assertThat(
              records
                  .one(pool, "t", "ds", "later")
                  .await()
                  .atMost(java.time.Duration.ofSeconds(120))
                  .timestamp())
          .startsWith(bound.plusDays(3).toString());
      // and sent again, it is not stored twice
      assertThat(
              records
                  .store(pool, "t", "ds", "req-again", List.of(row("later", later)))
                  .await()
                  .indefinitely())
          .isEqualTo(0);
    } finally {
      pool.close().await().atMost(java.time.Duration.ofSeconds(120));
      pg.execute(PostgresServer.DATABASE, "DROP DATABASE " + db + " WITH (FORCE)");
    }
  }

  private static RecordRow row(String id, Instant ts) {
    ObjectNode values = JsonNodeFactory.instance.objectNode().put("Age", 40);
    return new RecordRow(id, ts, values);
  }

  private static String scalar(Pool pool, String sql) {
    Row r = pool.query(sql).execute().await().atMost(Duration.ofSeconds(60)).iterator().next();
    return String.valueOf(r.getValue(0));
  }
}
