package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Reads large results through a cursor, a batch at a time, so a monitor run over millions of
 * records holds only what it accumulates, never the whole result.
 */
@ApplicationScoped
public class RowStreamer {

  private static final int FETCH = 5_000;

  private final Pool pool;

  RowStreamer(Pool pool) {
    this.pool = pool;
  }

  /** Hands every row to {@code sink}; answers how many there were. */
  public Uni<Long> forEach(String sql, Tuple args, Consumer<Row> sink) {
    return pool.withTransaction(
        c ->
            c.prepare(sql)
                .chain(
                    ps ->
                        ps.createStream(FETCH, args)
                            .toMulti()
                            .invoke(sink)
                            .collect()
                            .with(Collectors.counting())
                            .call(ps::close)));
  }

  /** The first column of the first row as a long (a count). */
  public Uni<Long> count(String sql, Tuple args) {
    return pool.preparedQuery(sql).execute(args).map(rows -> rows.iterator().next().getLong(0));
  }
}
