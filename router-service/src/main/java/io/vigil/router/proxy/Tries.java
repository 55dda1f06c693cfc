package io.vigil.router.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.ReadStream;
import io.vigil.router.service.Backend;
import io.vigil.router.service.LatencyWindow;
import java.util.HashSet;
import java.util.Set;

/** One request's tries: where it went, what to avoid next, its deadline and its replay body. */
final class Tries {

  final HttpServerRequest request;
  final long start;
  final long deadline;

  /** Sent to the standby region's routers (the region has failed over). */
  final boolean standby;

  /** Safe to send again (idempotent or with an Idempotency-Key, body within the replay bound). */
  final boolean replayable;

  /** The latency its per-try timeout comes from (reads and writes apart). */
  final LatencyWindow window;

  final Set<String> zones = new HashSet<>();
  final Set<String> ids = new HashSet<>();

  /** Instances a try timed out on whose readiness has not failed: slow, maybe not hung. */
  final Set<String> slow = new HashSet<>();

  /** The body held for replay, or null. */
  Buffer body;

  /** The body streamed to the one try that may take it (not replayable), or null. */
  ReadStream<Buffer> stream;

  /** The warm-up target every try goes to, or null: an instance of the region is chosen. */
  Backend pinned;

  /** The streamed body broke off (over the limit, or the client went away). */
  boolean uploadCut;

  /** A chunked body counted against the router's limit, or null. */
  LimitedBody limited;

  Backend current;
  long tryStart;
  int attempts;

  Tries(
      HttpServerRequest request,
      long start,
      long deadline,
      boolean standby,
      boolean replayable,
      LatencyWindow window) {
    this.request = request;
    this.start = start;
    this.deadline = deadline;
    this.standby = standby;
    this.replayable = replayable;
    this.window = window;
  }

  /** Takes {@code b}'s zone and instance out of the choice for the next tries. */
  void avoid(Backend b) {
    zones.add(b.zone());
    ids.add(b.id());
  }

  /** Ends the try on the current instance. */
  void endTry() {
    if (current != null) {
      current.end();
      current = null;
    }
  }
}
