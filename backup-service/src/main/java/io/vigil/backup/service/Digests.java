package io.vigil.backup.service;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Message digests. */
final class Digests {

  private Digests() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
