package io.vigil.backup;

import io.vigil.backup.repository.ArtifactCipher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/** The tests' backup keys (vigil.backup.encryption.keys of the test profile). */
final class EncryptionKeys {

  /** The id of the key the test profile encrypts with. */
  static final String ACTIVE = "test-backup-2026";

  private EncryptionKeys() {}

  static ArtifactCipher cipher() {
    return new ArtifactCipher(
        List.of(
            ConfigProvider.getConfig()
                .getValue("vigil.backup.encryption.keys", String.class)
                .split(",")));
  }

  /** Decrypts a stored artifact into a temporary file. */
  static Path decrypt(Path stored) throws IOException {
    Path plain = Files.createTempFile("decrypted", ".bin");
    try (InputStream in = cipher().decrypt(Files.newInputStream(stored), stored.toString());
        OutputStream out = Files.newOutputStream(plain)) {
      in.transferTo(out);
    }
    return plain;
  }
}
