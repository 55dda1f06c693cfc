package io.vigil.commons.etcd;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vigil.commons.health.BackgroundProbe;
import java.time.Duration;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Keeps a view of etcd keys current, the one way Vigil follows etcd: a watch re-reads at once after
 * any change of the watched key (or prefix), and a periodic re-read (a {@link BackgroundProbe},
 * whose outcome says whether etcd answers) covers a watch that was lost. Nothing blocks: reads are
 * asynchronous and their results are handed to {@code onRead} on one Vert.x event loop (the context
 * taken at start); of two reads answered out of order the newer one is kept ({@link
 * EtcdGateway.Snapshot#supersedes}), so {@code onRead} only ever sees newer reads.
 */
public final class KeyWatch {

  private static final Logger LOG = Logger.getLogger(KeyWatch.class);

  private final EtcdGateway etcd;
  private final String watched;
  private final boolean watchPrefix;
  private final String readPrefix;
  private final Function<EtcdGateway.Snapshot, String> onRead;
  private final BackgroundProbe resync;
  private EtcdGateway.Snapshot applied;
  private AutoCloseable watch;
  private Context context;

  /**
   * @param name what is followed, for health data and logs (e.g. {@code etcd-topology})
   * @param watched the key to watch, or the prefix when {@code watchPrefix}
   * @param readPrefix every key under it is read after a change and on every resync
   * @param resync time between periodic re-reads
   * @param timeout how long one read may take
   * @param onRead puts a read in force; answers a short description (the probe's detail)
   */
  public KeyWatch(
      EtcdGateway etcd,
      String name,
      String watched,
      boolean watchPrefix,
      String readPrefix,
      Duration resync,
      Duration timeout,
      Function<EtcdGateway.Snapshot, String> onRead) {
    this.etcd = etcd;
    this.watched = watched;
    this.watchPrefix = watchPrefix;
    this.readPrefix = readPrefix;
    this.onRead = onRead;
    this.resync = new BackgroundProbe(name, resync, timeout, this::read);
  }

  /** Reads now, then follows the watch and re-reads every resync interval. */
  public synchronized void start(Vertx vertx) {
    if (context != null) {
      return;
    }
    context = vertx.getOrCreateContext();
    resync.start(vertx);
    watch =
        etcd.watch(
            watched,
            watchPrefix,
            () ->
                context.runOnContext(
                    v ->
                        read()
                            .subscribe()
                            .with(
                                done -> {},
                                failure -> LOG.debugf("re-reading %s: %s", readPrefix, failure))));
  }

  /** Stops watching and re-reading. */
  public synchronized void stop() {
    resync.stop();
    if (watch != null) {
      try {
        watch.close();
      } catch (Exception e) {
        LOG.debugf("closing the watch of %s: %s", watched, e);
      }
      watch = null;
    }
  }

  /**
   * Reads now and puts the read in force unless a newer one already is. {@code onRead} runs where
   * the read completes (etcd's client thread), at once: a new PostgreSQL primary is followed
   * without waiting for an event loop; work that must run on one hops there itself.
   */
  public Uni<String> read() {
    return etcd.getPrefixAt(readPrefix).map(this::apply);
  }

  private synchronized String apply(EtcdGateway.Snapshot read) {
    if (read.supersedes(applied)) {
      applied = read;
      return onRead.apply(read);
    }
    return "an older read was ignored";
  }

  /** Whether the last periodic read succeeded, and what it saw. */
  public BackgroundProbe.Outcome outcome() {
    return resync.outcome();
  }
}
