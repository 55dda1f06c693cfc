package io.vigil.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private certificate authority and one server certificate it signed (EC P-256, PEM), made with
 * {@code openssl} for a TLS test or a local setup: {@code ca} is what clients trust, {@code
 * cert}/{@code key} what a server presents; the key file is mode 0600.
 *
 * @param ca the authority's certificate
 * @param cert the server certificate
 * @param key the server's private key (PKCS#8)
 */
public record Certificates(Path ca, Path cert, Path key) {

  /**
   * Issues a new authority and a server certificate for {@code sans} (subject alternative names
   * such as {@code IP:127.0.0.1} or {@code DNS:localhost}) into {@code dir}, valid for 30 days.
   */
  public static Certificates issue(Path dir, List<String> sans) {
    try {
      Files.createDirectories(dir);
      Path caKey = dir.resolve("ca.key");
      Path ca = dir.resolve("ca.pem");
      Path key = dir.resolve("server.key");
      Path csr = dir.resolve("server.csr");
      Path cert = dir.resolve("server.pem");
      Path ext = dir.resolve("server.ext");
      String openssl =
          Tools.which("openssl")
              .orElseThrow(
                  () -> new IllegalStateException("openssl is missing: apt-get install openssl"))
              .toString();
      List<String> ec = List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
      run(
          concat(
              List.of(openssl, "req", "-x509", "-nodes", "-days", "30"),
              ec,
              List.of(
                  "-keyout", caKey.toString(), "-out", ca.toString(), "-subj", "/CN=Vigil CA")));
      run(
          concat(
              List.of(openssl, "req", "-nodes"),
              ec,
              List.of("-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=vigil")));
      Files.writeString(
          ext,
          "subjectAltName="
              + String.join(",", sans)
              + "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment"
              + "\nextendedKeyUsage=serverAuth,clientAuth\n");
      run(
          List.of(
              openssl,
              "x509",
              "-req",
              "-in",
              csr.toString(),
              "-CA",
              ca.toString(),
              "-CAkey",
              caKey.toString(),
              "-CAcreateserial",
              "-days",
              "30",
              "-extfile",
              ext.toString(),
              "-out",
              cert.toString()));
      Workspace.writePrivate(key, Files.readString(key));
      Workspace.writePrivate(caKey, Files.readString(caKey));
      return new Certificates(ca, cert, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> concat(List<String> a, List<String> b, List<String> c) {
    return java.util.stream.Stream.of(a, b, c).flatMap(List::stream).toList();
  }

  private static void run(List<String> command) {
    Commands.runChecked(command, Duration.ofSeconds(30));
  }
}
