package io.vigil.commons.security;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256 keys as configured: {@code id:base64} entries of 32 bytes, in order (the first one is the
 * one that encrypts; every one decrypts, so keys rotate by putting a new one first).
 */
public final class AesKeys {

  private AesKeys() {}

  /**
   * The keys by id, in configuration order; a malformed entry is refused naming the property.
   *
   * @param maxIdLength the longest id allowed
   */
  public static Map<String, SecretKeySpec> parse(
      List<String> entries, String property, int maxIdLength) {
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    for (String entry : entries) {
      int colon = entry.indexOf(':');
      byte[] key;
      try {
        key = colon > 0 ? Base64.getDecoder().decode(entry.substring(colon + 1).trim()) : null;
      } catch (IllegalArgumentException e) {
        key = null;
      }
      String id = colon > 0 ? entry.substring(0, colon).trim() : "";
      if (key == null || key.length != 32 || id.isEmpty() || id.length() > maxIdLength) {
        throw new IllegalArgumentException(
            property
                + " entries are id:base64 of 32 bytes (id up to "
                + maxIdLength
                + " characters); one is not"
                + (id.isEmpty() ? "" : " (key " + id + ")"));
      }
      keys.put(id, new SecretKeySpec(key, "AES"));
    }
    return keys;
  }
}
