package io.vigil.backup.repository;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encryption at rest of backup artifacts: AES-256-GCM in a streaming, chunked format, so artifacts
 * of any size are encrypted and decrypted in constant memory, and any change, reordering or
 * truncation of the stored bytes fails authentication.
 *
 * <pre>
 * header:  "VGE1" | key id length (1 byte) | key id (UTF-8) | chunk size (4 bytes) | nonce prefix (7 bytes)
 * chunks:  AES-256-GCM(chunk of the content), 16-byte tag each; every chunk is full but the last
 *          (which may be empty); nonce = prefix | chunk number (4 bytes) | 1 for the last chunk else 0;
 *          the header is every chunk's associated data
 * </pre>
 *
 * Keys are {@code id:base64} of 32 bytes; the first encrypts, all decrypt (rotation: put the new
 * key first, keep the old ones while artifacts sealed with them are kept). The key id is in the
 * header and the artifact's metadata.
 */
public final class ArtifactCipher {

  /** The format's name in the metadata. */
  public static final String FORMAT = "aes-256-gcm-chunked-v1";

  private static final byte[] MAGIC = "VGE1".getBytes(StandardCharsets.US_ASCII);
  private static final int TAG_BYTES = 16;
  private static final int PREFIX_BYTES = 7;
  static final int CHUNK = 1 << 20;

  /** An artifact cannot be decrypted here: a key is missing or wrong, or the bytes were changed. */
  public static final class KeyException extends IOException {
    KeyException(String message) {
      super(message);
    }
  }

  /** A chunk failed authentication. */
  private static final class BadTag extends IOException {
    BadTag() {
      super("authentication failed", null);
    }
  }

  private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
  private final String activeKey;
  private final SecureRandom random = new SecureRandom();

  /** Keys as {@code id:base64} (32 bytes each); the first encrypts. */
  public ArtifactCipher(List<String> entries) {
    // the key id is stored in the header with a one-byte length
    keys.putAll(
        io.vigil.commons.security.AesKeys.parse(entries, "vigil.backup.encryption.keys", 64));
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("an artifact cipher needs at least one key");
    }
    this.activeKey = keys.keySet().iterator().next();
  }

  /** The id of the key new artifacts are encrypted with. */
  public String activeKey() {
    return activeKey;
  }

  /** Encrypts {@code in} to {@code out} with the active key; answers the key id. */
  public String encrypt(InputStream in, OutputStream out) throws IOException {
    byte[] prefix = new byte[PREFIX_BYTES];
    random.nextBytes(prefix);
    byte[] header = header(activeKey, CHUNK, prefix);
    out.write(header);
    byte[] chunk = new byte[CHUNK];
    byte[] next = new byte[CHUNK];
    int n = in.readNBytes(chunk, 0, CHUNK);
    int index = 0;
    while (true) {
      // a chunk is the last when nothing follows it
      int m = n == CHUNK ? in.readNBytes(next, 0, CHUNK) : 0;
      boolean last = m == 0;
      out.write(
          crypt(Cipher.ENCRYPT_MODE, keys.get(activeKey), prefix, index++, last, header, chunk, n));
      if (last) {
        return activeKey;
      }
      byte[] t = chunk;
      chunk = next;
      next = t;
      n = m;
    }
  }

  /**
   * The content of an encrypted artifact. The header is read and the first chunk decrypted before
   * this returns, so a missing or wrong key fails here, before any byte reaches the caller.
   *
   * @param name the artifact, for messages
   */
  public InputStream decrypt(InputStream stored, String name) throws IOException {
    PushbackInputStream in = new PushbackInputStream(stored, 1);
    byte[] magic = in.readNBytes(MAGIC.length);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new KeyException(name + " is not an encrypted Vigil artifact (no VGE1 header)");
    }
    int idLength = in.read();
    if (idLength <= 0) {
      throw new KeyException(name + ": truncated header");
    }
    String id = new String(in.readNBytes(idLength), StandardCharsets.UTF_8);
    byte[] rest = in.readNBytes(4 + PREFIX_BYTES);
    if (rest.length != 4 + PREFIX_BYTES) {
      throw new KeyException(name + ": truncated header");
    }
    int chunkSize = ByteBuffer.wrap(rest, 0, 4).getInt();
    byte[] prefix = java.util.Arrays.copyOfRange(rest, 4, rest.length);
    SecretKeySpec key = keys.get(id);
    if (key == null) {
      throw new KeyException(
          name
              + " is encrypted with key '"
              + id
              + "', which this service lacks (vigil.backup.encryption.keys)");
    }
    if (chunkSize <= 0 || chunkSize > 64 << 20) {
      throw new KeyException(name + ": chunk size " + chunkSize + " in the header is not valid");
    }
    return new Decrypting(in, key, id, prefix, header(id, chunkSize, prefix), chunkSize, name);
  }

  private static byte[] header(String id, int chunkSize, byte[] prefix) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 1 + idBytes.length + 4 + PREFIX_BYTES);
    b.put(MAGIC).put((byte) idBytes.length).put(idBytes).putInt(chunkSize).put(prefix);
    return b.array();
  }

  private static byte[] crypt(
      int mode,
      SecretKeySpec key,
      byte[] prefix,
      int index,
      boolean last,
      byte[] header,
      byte[] data,
      int length)
      throws IOException {
    byte[] nonce =
        ByteBuffer.allocate(12).put(prefix).putInt(index).put((byte) (last ? 1 : 0)).array();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
      cipher.updateAAD(header);
      return cipher.doFinal(data, 0, length);
    } catch (AEADBadTagException e) {
      throw new BadTag();
    } catch (GeneralSecurityException e) {
      throw new IOException("AES-GCM failed: " + e.getMessage(), e);
    }
  }

  /** Decrypts chunk by chunk; the first chunk at construction. */
  private static final class Decrypting extends InputStream {
    private final PushbackInputStream in;
    private final SecretKeySpec key;
    private final String keyId;
    private final byte[] prefix;
    private final byte[] header;
    private final byte[] buffer;
    private final String name;
    private byte[] plain = new byte[0];
    private int position;
    private int index;
    private boolean ended;

    Decrypting(
        PushbackInputStream in,
        SecretKeySpec key,
        String keyId,
        byte[] prefix,
        byte[] header,
        int chunkSize,
        String name)
        throws IOException {
      this.in = in;
      this.key = key;
      this.keyId = keyId;
      this.prefix = prefix;
      this.header = header;
      this.buffer = new byte[chunkSize + TAG_BYTES];
      this.name = name;
      next();
    }

    private void next() throws IOException {
      int n = in.readNBytes(buffer, 0, buffer.length);
      if (n < TAG_BYTES) {
        throw new KeyException(name + " is truncated (chunk " + index + ")");
      }
      boolean last = n < buffer.length;
      if (!last) {
        int peek = in.read();
        last = peek < 0;
        if (!last) {
          in.unread(peek);
        }
      }
      try {
        plain = crypt(Cipher.DECRYPT_MODE, key, prefix, index, last, header, buffer, n);
      } catch (BadTag e) {
        throw new KeyException(
            name
                + " does not decrypt with key '"
                + keyId
                + "' (a different key under that id, or the stored bytes were changed or cut;"
                + " chunk "
                + index
                + ")");
      }
      index++;
      position = 0;
      ended = last;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (position == plain.length) {
        if (ended) {
          return -1;
        }
        next();
      }
      int n = Math.min(len, plain.length - position);
      System.arraycopy(plain, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Encrypts a byte array (tests, small content). */
  public byte[] encrypt(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    encrypt(new java.io.ByteArrayInputStream(content), out);
    return out.toByteArray();
  }

  /** Decrypts a byte array (tests, small content). */
  public byte[] decrypt(byte[] stored) throws IOException {
    try (InputStream in = decrypt(new java.io.ByteArrayInputStream(stored), "content")) {
      return in.readAllBytes();
    } catch (EOFException e) {
      throw new KeyException("content is truncated");
    }
  }
}
