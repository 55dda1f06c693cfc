package io.vigil.monitoring.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Hibernate Reactive sessions for the configuration entities, on the application's reactive pool —
 * the write pool that follows the Patroni leader and closes every connection to a former primary,
 * so a session can never commit on a demoted server.
 *
 * <p>Every unit of work opens a session of its own and closes it after: nothing is bound to the
 * Vert.x context (as Panache binds one session per context), because monitor runs, notification
 * deliveries and scoring read configuration concurrently from one event loop, and a reactive
 * session must never be used by two operations at once. Work that arrives on another thread (after
 * a blocking check, e.g. a webhook's address resolved) starts on an event loop, where Hibernate
 * Reactive runs.
 */
@ApplicationScoped
public class Sessions {

  private final Mutiny.SessionFactory factory;
  private final Vertx vertx;

  Sessions(Mutiny.SessionFactory factory, Vertx vertx) {
    this.factory = factory;
    this.vertx = vertx;
  }

  /** Reads in a session of its own. */
  public <T> Uni<T> read(Function<Mutiny.Session, Uni<T>> work) {
    return onEventLoop(() -> factory.openSession().chain(s -> work.apply(s).eventually(s::close)));
  }

  /**
   * Reads in a stateless session of its own: no persistence context, no load events — the cheapest
   * read, for the lookup every API request makes.
   */
  public <T> Uni<T> lookup(Function<Mutiny.StatelessSession, Uni<T>> work) {
    return onEventLoop(
        () -> factory.openStatelessSession().chain(s -> work.apply(s).eventually(s::close)));
  }

  /**
   * Work in one transaction of a session of its own: committed when it succeeds, else rolled back.
   */
  public <T> Uni<T> transaction(Function<Mutiny.Session, Uni<T>> work) {
    return onEventLoop(
        () ->
            factory
                .openSession()
                .chain(s -> s.withTransaction(tx -> work.apply(s)).eventually(s::close)));
  }

  /** Now, as an entity is stamped with it: UTC, the microseconds PostgreSQL keeps. */
  static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
  }

  private <T> Uni<T> onEventLoop(Supplier<Uni<? extends T>> work) {
    Uni<T> deferred = Uni.createFrom().<T>deferred(work);
    if (Context.isOnEventLoopThread()) {
      return deferred;
    }
    Context current = Vertx.currentContext();
    Context target =
        current != null && current.isEventLoopContext() ? current : vertx.getOrCreateContext();
    return deferred.runSubscriptionOn(task -> target.runOnContext(ignored -> task.run()));
  }
}
