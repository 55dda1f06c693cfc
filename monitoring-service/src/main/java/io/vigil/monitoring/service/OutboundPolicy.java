package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vigil.commons.api.ApiException;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.ResourceKind;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which receivers notifications may go to: an {@code http} or {@code https} URL whose host resolves
 * only to addresses outside {@code deny} (or inside {@code allow}). Checked when an integrated
 * system is written and again, against a fresh resolution, before every request, whose connection
 * then goes to the address that was checked (a name that resolves elsewhere later changes nothing).
 */
@ApplicationScoped
public class OutboundPolicy {

  /** A receiver URL that passed the policy: connect to {@code address}, send to {@code url}. */
  public record Target(URI url, InetAddress address) {

    /** The port the URL names, or its scheme's. */
    public int port() {
      return url.getPort() > 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
    }

    /** Host and port, the key that bounds concurrency per receiver. */
    public String receiver() {
      return url.getHost() + ":" + port();
    }

    /** A POST to the URL, connected to the address that was checked, cut at {@code timeout}. */
    public io.vertx.core.http.RequestOptions post(java.time.Duration timeout) {
      return new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.POST)
          .setAbsoluteURI(url.toString())
          .setServer(
              io.vertx.core.net.SocketAddress.inetSocketAddress(port(), address.getHostAddress()))
          .setTimeout(timeout.toMillis());
    }
  }

  private final List<Cidr> deny;
  private final List<Cidr> allow;

  OutboundPolicy(MonitoringConfig config) {
    this.deny = config.outbound().deny().stream().map(Cidr::parse).toList();
    this.allow = config.outbound().allow().orElse(List.of()).stream().map(Cidr::parse).toList();
  }

  /**
   * Checks a receiver URL; blocking (it resolves the host). A refused one is a 400 naming why.
   *
   * @param field where the URL came from, for the message
   */
  public Target check(String field, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw ApiException.badRequest("'" + field + "' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw ApiException.badRequest("'" + field + "' must be an http or https URL with a host");
    }
    if (uri.getUserInfo() != null) {
      throw ApiException.badRequest(
          "'" + field + "' must not hold a user or password; use 'credentials.headers'");
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(uri.getHost());
    } catch (UnknownHostException e) {
      throw ApiException.badRequest(
          "'" + field + "': host '" + uri.getHost() + "' does not resolve");
    }
    for (InetAddress a : addresses) {
      if (refused(a)) {
        throw ApiException.badRequest(
            "'"
                + field
                + "': "
                + uri.getHost()
                + " resolves to "
                + a.getHostAddress()
                + ", an address Vigil may not send to"
                + " (vigil.monitoring.outbound.deny)");
      }
    }
    return new Target(uri, addresses[0]);
  }

  /** {@link #check} off the event loop (it resolves the host): the target, or the refusal. */
  public Uni<Target> checkOffLoop(String field, String url) {
    return offLoop(() -> check(field, url));
  }

  /**
   * Checks the receiver URLs an integrated system's entity holds in clear (sealed ones were checked
   * when written and are checked again before every request), off the event loop.
   */
  public Uni<Void> checkEntity(ResourceKind kind, ObjectNode entity) {
    if (kind != ResourceKind.INTEGRATED_SYSTEMS) {
      return Uni.createFrom().voidItem();
    }
    return offLoop(
        () -> {
          for (String field : List.of("connection.url", "credentials.url")) {
            JsonNode url = entity.path(field.split("\\.")[0]).path("url");
            if (url.isTextual()) {
              check(field, url.asText());
            }
          }
          return (Void) null;
        });
  }

  /**
   * Blocking work (name resolution) on a worker, its outcome back on the caller's Vert.x context:
   * what follows may use that context's resources — a Hibernate Reactive session is bound to its
   * event loop, and a configuration change checks its receivers inside its transaction.
   */
  private static <T> Uni<T> offLoop(java.util.function.Supplier<T> work) {
    return Uni.createFrom()
        .deferred(
            () -> {
              Uni<T> worked =
                  Uni.createFrom()
                      .item(work)
                      .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
              io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
              return caller == null
                  ? worked
                  : worked.emitOn(task -> caller.runOnContext(ignored -> task.run()));
            });
  }

  boolean refused(InetAddress address) {
    return deny.stream().anyMatch(c -> c.contains(address))
        && allow.stream().noneMatch(c -> c.contains(address));
  }

  /** An address block. */
  record Cidr(byte[] network, int bits) {

    static Cidr parse(String text) {
      String t = text.trim();
      int slash = t.indexOf('/');
      if (!(slash < 0 ? t : t.substring(0, slash)).matches("[0-9a-fA-F:.]+")) {
        throw new IllegalArgumentException(
            "vigil.monitoring.outbound allow/deny entries are CIDR blocks; '"
                + text
                + "' is not one");
      }
      try {
        byte[] address = InetAddress.getByName(slash < 0 ? t : t.substring(0, slash)).getAddress();
        int bits = slash < 0 ? address.length * 8 : Integer.parseInt(t.substring(slash + 1));
        if (bits < 0 || bits > address.length * 8) {
          throw new IllegalArgumentException();
        }
        return new Cidr(address, bits);
      } catch (UnknownHostException | IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "vigil.monitoring.outbound allow/deny entries are CIDR blocks; '"
                + text
                + "' is not one");
      }
    }

    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != network.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != network[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (b[full] & mask) == (network[full] & mask);
    }
  }
}
