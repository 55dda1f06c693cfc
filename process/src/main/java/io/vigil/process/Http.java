package io.vigil.process;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Small blocking HTTP calls for readiness probes and checks; {@link #as} makes them with an
 * operator's key (the services' control surfaces take nothing else).
 */
public final class Http {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofMillis(500))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  private final String authorization;

  private Http(String authorization) {
    this.authorization = authorization;
  }

  /** Calls that send {@code Authorization: Bearer <key>}. */
  public static Http as(String key) {
    return new Http("Bearer " + key);
  }

  /** GET with the key, with the given timeout; never throws. */
  public Response read(String url, Duration timeout) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", authorization)
            .timeout(timeout)
            .GET());
  }

  /** GET with the key, with a short timeout; never throws. */
  public Response read(String url) {
    return read(url, Duration.ofSeconds(2));
  }

  /** POSTs JSON with the key and waits up to {@code timeout} for the answer; never throws. */
  public Response post(String url, String body, Duration timeout) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .timeout(timeout)
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** A response: status and body; status -1 when no response came. */
  public record Response(int status, String body) {}

  /** GET with a short timeout; never throws. */
  public static Response get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET());
  }

  /** GET with the given timeout; never throws. */
  public static Response get(String url, Duration timeout) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET());
  }

  /** POST of a JSON body with extra headers (name, value, ...); never throws. */
  public static Response postJson(String url, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  /** POSTs JSON and waits up to {@code timeout} for the answer (long operations). */
  public static Response postJsonWithin(String url, String body, Duration timeout) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .timeout(timeout)
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static Response send(HttpRequest.Builder request) {
    try {
      HttpRequest r = request.build();
      if (r.timeout().isEmpty()) {
        r = HttpRequest.newBuilder(r, (n, v) -> true).timeout(Duration.ofSeconds(2)).build();
      }
      HttpResponse<String> response = CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Response(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, "interrupted");
    }
  }
}
