package io.vigil.testkit;

import io.vigil.process.Certificates;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for a test: a private authority and a certificate for {@code 127.0.0.1}/{@code localhost}
 * (issued once per test JVM), the configuration that makes a service HTTPS only with them through
 * Quarkus' TLS registry, and a client context that trusts that authority and nothing else.
 */
public final class TlsFixture {

  /** The test authority and the certificate every TLS test serves. */
  public static final Certificates CERTS =
      Certificates.issue(
          Path.of("target/tls-" + ProcessHandle.current().pid()).toAbsolutePath(),
          List.of("IP:127.0.0.1", "DNS:localhost"));

  private TlsFixture() {}

  /** A service serving HTTPS only with {@link #CERTS}, trusting its authority as a client. */
  public static Map<String, String> httpsOnly() {
    return Map.of(
        "quarkus.tls.key-store.pem.0.cert", CERTS.cert().toString(),
        "quarkus.tls.key-store.pem.0.key", CERTS.key().toString(),
        "quarkus.tls.trust-store.pem.certs", CERTS.ca().toString(),
        "quarkus.http.insecure-requests", "disabled",
        "quarkus.http.test-ssl-port", "0");
  }

  /** An SSL context trusting only the test authority. */
  public static SSLContext trusting() {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      try (InputStream in = Files.newInputStream(CERTS.ca())) {
        store.setCertificateEntry(
            "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException("cannot trust the test authority", e);
    }
  }
}
