package io.vigil.router.proxy;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A request body of unknown length (chunked) passed on as it arrives until it grows past the
 * router's limit; then it fails, so the request to the instance is reset and the router answers 413
 * itself, instead of a 502 when the instance cuts the upload short.
 */
final class LimitedBody implements ReadStream<Buffer> {

  /** The body grew past the limit. */
  static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super("request body over the limit of " + limit + " bytes", null, false, false);
    }
  }

  private final ReadStream<Buffer> source;
  private final long limit;
  private long seen;
  private volatile boolean exceeded;
  private Handler<Throwable> exceptionHandler;

  LimitedBody(ReadStream<Buffer> source, long limit) {
    this.source = source;
    this.limit = limit;
  }

  /** Whether the body grew past the limit. */
  boolean exceeded() {
    return exceeded;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    if (handler == null) {
      source.handler(null);
      return this;
    }
    source.handler(
        chunk -> {
          if (exceeded) {
            return;
          }
          seen += chunk.length();
          if (seen > limit) {
            exceeded = true;
            source.pause();
            Handler<Throwable> failed = exceptionHandler;
            if (failed != null) {
              failed.handle(new TooLarge(limit));
            }
            return;
          }
          handler.handle(chunk);
        });
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    if (!exceeded) {
      source.resume();
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    if (!exceeded) {
      source.fetch(amount);
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> handler) {
    source.endHandler(
        handler == null
            ? null
            : v -> {
              if (!exceeded) {
                handler.handle(v);
              }
            });
    return this;
  }
}
