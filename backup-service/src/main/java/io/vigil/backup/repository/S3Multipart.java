package io.vigil.backup.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Part;

/**
 * The multipart uploads of an {@link S3Store}: an artifact larger than a part goes up in parts, a
 * few at a time, each with its MD5; the marker {@code .uploads/<key>} (outside the regions' trees,
 * so never copied) names the unfinished upload and the artifact's SHA-256, so the next attempt
 * resumes it, sending only the parts that are not there with the same size and MD5. An unfinished
 * upload of other content is aborted.
 */
final class S3Multipart {

  /** Where the marker of an unfinished multipart upload is kept. */
  static final String UPLOADS = ".uploads/";

  private final S3Store store;
  private final S3Client s3;
  private final String bucket;
  private final long partSize;
  private final ExecutorService parts;

  S3Multipart(S3Store store, S3Client s3, String bucket, long partSize, ExecutorService parts) {
    this.store = store;
    this.s3 = s3;
    this.bucket = bucket;
    this.partSize = partSize;
    this.parts = parts;
  }

  /** A multipart upload, resumed when one of the same artifact was left unfinished. */
  void upload(String key, Path file, long size, String sha256) throws IOException {
    String objectKey = store.objectKey(key);
    int count = (int) ((size + partSize - 1) / partSize);
    Map<Integer, Part> existing = new java.util.HashMap<>();
    String uploadId = resumable(key, sha256, existing);
    if (uploadId == null) {
      uploadId =
          store
              .call(
                  "start the multipart upload of " + key,
                  () -> s3.createMultipartUpload(r -> r.bucket(bucket).key(objectKey)))
              .uploadId();
      store.put(
          UPLOADS + key,
          (uploadId + " " + sha256).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    String upload = uploadId;
    List<Future<CompletedPart>> sent = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      int number = n;
      long offset = (n - 1) * partSize;
      long length = Math.min(partSize, size - offset);
      sent.add(
          parts.submit(() -> part(key, objectKey, upload, file, number, offset, length, existing)));
    }
    List<CompletedPart> done = new ArrayList<>();
    try {
      for (Future<CompletedPart> f : sent) {
        done.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sent.forEach(f -> f.cancel(true));
      throw new InterruptedIOException("interrupted while storing " + key);
    } catch (java.util.concurrent.ExecutionException e) {
      sent.forEach(f -> f.cancel(true));
      // the upload stays: the next attempt resumes it (an abandoned one is aborted by the
      // bucket's lifecycle rule for incomplete uploads)
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException("storing " + key + ": " + e.getCause(), e.getCause());
    }
    store.call(
        "complete the multipart upload of " + key,
        () ->
            s3.completeMultipartUpload(
                r ->
                    r.bucket(bucket)
                        .key(objectKey)
                        .uploadId(upload)
                        .multipartUpload(m -> m.parts(done))));
    store.delete(UPLOADS + key);
  }

  /** One part, unless the resumed upload has it already (same size and MD5). */
  private CompletedPart part(
      String key,
      String objectKey,
      String uploadId,
      Path file,
      int number,
      long offset,
      long length,
      Map<Integer, Part> existing)
      throws IOException {
    byte[] md5 = md5Bytes(file, offset, length);
    Part there = existing.get(number);
    String etag = "\"" + HexFormat.of().formatHex(md5) + "\"";
    if (there != null && there.size() == length && etag.equals(there.eTag())) {
      return CompletedPart.builder().partNumber(number).eTag(there.eTag()).build();
    }
    String base64 = Base64.getEncoder().encodeToString(md5);
    String tag =
        store
            .call(
                "PUT part " + number + " of " + key,
                () ->
                    s3.uploadPart(
                        r ->
                            r.bucket(bucket)
                                .key(objectKey)
                                .uploadId(uploadId)
                                .partNumber(number)
                                .contentLength(length)
                                .contentMD5(base64),
                        RequestBody.fromContentProvider(
                            () -> slice(file, offset, length), length, "application/octet-stream")))
            .eTag();
    return CompletedPart.builder().partNumber(number).eTag(tag).build();
  }

  /**
   * An unfinished upload of the same artifact to resume (its marker {@code .uploads/<key>} names
   * the upload and the artifact's SHA-256), with its parts; null when none. An unfinished upload of
   * other content under the key is aborted.
   */
  private String resumable(String key, String sha256, Map<Integer, Part> existing)
      throws IOException {
    Optional<InputStream> marker = store.open(UPLOADS + key);
    if (marker.isEmpty()) {
      return null;
    }
    String[] fields;
    try (InputStream in = marker.get()) {
      fields = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split(" ");
    }
    String objectKey = store.objectKey(key);
    if (fields.length != 2 || !fields[1].equals(sha256)) {
      if (fields.length == 2) {
        try {
          store.call(
              "abort an older upload of " + key,
              () ->
                  s3.abortMultipartUpload(
                      r -> r.bucket(bucket).key(objectKey).uploadId(fields[0])));
        } catch (S3Store.Refused gone) {
          // already completed or aborted
        }
      }
      return null;
    }
    try {
      store
          .call(
              "list the parts of " + key,
              () ->
                  s3
                      .listPartsPaginator(r -> r.bucket(bucket).key(objectKey).uploadId(fields[0]))
                      .parts()
                      .stream()
                      .toList())
          .forEach(p -> existing.put(p.partNumber(), p));
    } catch (S3Store.Refused gone) {
      return null;
    }
    return fields[0];
  }

  private static InputStream slice(Path file, long offset, long length) {
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      channel.position(offset);
      return new java.io.FilterInputStream(Channels.newInputStream(channel)) {
        private long left = length;

        @Override
        public int read() throws IOException {
          if (left <= 0) {
            return -1;
          }
          int b = super.read();
          left -= b < 0 ? 0 : 1;
          return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (left <= 0) {
            return -1;
          }
          int n = super.read(b, off, (int) Math.min(len, left));
          left -= Math.max(n, 0);
          return n;
        }
      };
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String md5(Path file, long offset, long length) throws IOException {
    return Base64.getEncoder().encodeToString(md5Bytes(file, offset, length));
  }

  private static byte[] md5Bytes(Path file, long offset, long length) throws IOException {
    MessageDigest md5 = digest("MD5");
    try (InputStream in = slice(file, offset, length)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        md5.update(buffer, 0, n);
      }
    }
    return md5.digest();
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
