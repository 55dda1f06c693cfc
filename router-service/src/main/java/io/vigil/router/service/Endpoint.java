package io.vigil.router.service;

import java.net.URI;

/**
 * Where the router sends an instance traffic and where it checks its readiness, as configured:
 * {@code url}, or {@code url|management-url} when readiness is answered on a management interface
 * (Vigil's services answer {@code /q/health/ready} only there).
 *
 * @param url the traffic URL
 * @param check the URL of its readiness check
 */
record Endpoint(URI url, URI check) {

  /**
   * Parses {@code url[|management-url]}.
   *
   * @param setting the configuration property, named in the error of a malformed entry
   */
  static Endpoint parse(String entry, String setting) {
    String[] parts = entry.trim().split("\\|", 2);
    URI url = http(parts[0], entry, setting);
    return new Endpoint(url, parts.length > 1 ? http(parts[1], entry, setting) : url);
  }

  private static URI http(String text, String entry, String setting) {
    URI uri;
    try {
      uri = URI.create(text.trim());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          setting + " entry '" + entry + "' is not http://host:port[|http://host:port]");
    }
    return uri;
  }
}
