package io.vigil.backup.repository;

import io.smallrye.faulttolerance.api.Guard;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3-compatible bucket (AWS S3, MinIO, Ceph, S3Proxy) through the AWS SDK for
 * Java v2: path-style requests, signed payloads, listings paginated. An object larger than {@code
 * partSize} goes up as a multipart upload, {@code parallelParts} parts at a time; a failed upload
 * is resumed by the next attempt (the upload carries the artifact's SHA-256, and parts already
 * there with the same size and MD5 are not sent again), so artifacts over 5 GB are stored. Every
 * request is idempotent: a 5xx, a broken connection or no answer in time is tried again, twice, 100
 * ms and then 400 ms later (SmallRye Fault Tolerance; the SDK's own retries are off); a 4xx is not.
 */
public final class S3Store implements ObjectStore {

  /** Parts of 64 MiB: a 6 GB artifact is 96 parts (S3 allows 10,000, each at least 5 MiB). */
  public static final long DEFAULT_PART_SIZE = 64L << 20;

  /** The store refused a request (4xx): trying again changes nothing. */
  static final class Refused extends IOException {
    Refused(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final URI endpoint;
  private final String bucket;
  private final String prefix;
  private final Path localStaging;
  private final long partSize;
  private final int parallelParts;
  private final S3Client s3;
  private final S3Multipart multipart;

  private final Guard retry =
      Guard.create()
          .withDescription("s3-request")
          .withRetry()
          .maxRetries(2)
          .delay(100, ChronoUnit.MILLIS)
          .jitter(20, ChronoUnit.MILLIS)
          .withExponentialBackoff()
          .factor(4)
          .done()
          .retryOn(IOException.class)
          .abortOn(List.of(InterruptedIOException.class, Refused.class))
          .done()
          .build();

  /**
   * @param endpoint e.g. {@code http://127.0.0.1:9000}
   * @param bucket the bucket (created when absent)
   * @param prefix key prefix inside the bucket (may be empty)
   * @param signingRegion the region the signature names ({@code us-east-1} for most stores)
   * @param localStaging local directory for building artifacts
   */
  public S3Store(
      URI endpoint,
      String bucket,
      String prefix,
      String accessKey,
      String secretKey,
      String signingRegion,
      Path localStaging) {
    this(
        endpoint,
        bucket,
        prefix,
        accessKey,
        secretKey,
        signingRegion,
        localStaging,
        DEFAULT_PART_SIZE,
        4);
  }

  /** As above, with the multipart part size and how many parts go up at once. */
  public S3Store(
      URI endpoint,
      String bucket,
      String prefix,
      String accessKey,
      String secretKey,
      String signingRegion,
      Path localStaging,
      long partSize,
      int parallelParts) {
    this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
    this.bucket = bucket;
    this.prefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    this.localStaging = localStaging.toAbsolutePath();
    this.partSize = partSize;
    this.parallelParts = parallelParts;
    this.s3 =
        S3Client.builder()
            .endpointOverride(this.endpoint)
            .region(Region.of(signingRegion))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
            .forcePathStyle(true)
            // S3-compatible stores do not all take the SDK's default CRC trailers
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(
                o -> o.retryStrategy(RetryMode.STANDARD).retryStrategy(b -> b.maxAttempts(1)))
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofMinutes(5))
                    .build())
            .build();
    this.multipart =
        new S3Multipart(
            this,
            s3,
            bucket,
            partSize,
            Executors.newFixedThreadPool(
                parallelParts, Thread.ofPlatform().daemon().name("s3-part-", 0).factory()));
  }

  @Override
  public void put(String key, Path file, String sha256) throws IOException {
    long size = Files.size(file);
    if (size <= partSize) {
      String md5 = S3Multipart.md5(file, 0, size);
      call(
          "PUT " + key,
          () ->
              s3.putObject(
                  r -> r.bucket(bucket).key(objectKey(key)).contentMD5(md5),
                  RequestBody.fromFile(file)));
    } else {
      multipart.upload(key, file, size, sha256);
    }
    Files.deleteIfExists(file);
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    String md5 = Base64.getEncoder().encodeToString(digest("MD5").digest(content));
    call(
        "PUT " + key,
        () ->
            s3.putObject(
                r -> r.bucket(bucket).key(objectKey(key)).contentMD5(md5),
                RequestBody.fromBytes(content)));
  }

  @Override
  public Optional<InputStream> open(String key) throws IOException {
    try {
      ResponseInputStream<GetObjectResponse> in =
          call("GET " + key, () -> s3.getObject(r -> r.bucket(bucket).key(objectKey(key))));
      return Optional.of(in);
    } catch (Refused e) {
      if (e.getCause() instanceof NoSuchKeyException
          || e.getCause() instanceof S3Exception s && s.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public List<Entry> list(String keyPrefix) throws IOException {
    return call(
        "list " + keyPrefix,
        () -> {
          List<Entry> out = new ArrayList<>();
          for (S3Object o :
              s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix + keyPrefix))
                  .contents()) {
            // a key ending in "/" is a folder marker (some stores list directories), not an object
            if (!o.key().endsWith("/")) {
              out.add(new Entry(o.key().substring(prefix.length()), o.size()));
            }
          }
          return out;
        });
  }

  @Override
  public void delete(String key) throws IOException {
    call("DELETE " + key, () -> s3.deleteObject(r -> r.bucket(bucket).key(objectKey(key))));
  }

  @Override
  public Path staging(String id) throws IOException {
    return Files.createDirectories(localStaging.resolve(id));
  }

  @Override
  public String describe() {
    return endpoint + "/" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }

  @Override
  public void probe() throws IOException {
    try {
      call("HEAD bucket", () -> s3.headBucket(r -> r.bucket(bucket)));
    } catch (Refused e) {
      if (!(e.getCause() instanceof S3Exception s && s.statusCode() == 404)) {
        throw e;
      }
      call("create bucket", () -> s3.createBucket(r -> r.bucket(bucket)));
    }
    put(".probe", new byte[] {1});
  }

  String objectKey(String key) {
    if (key.isEmpty() || key.contains("..")) {
      throw new IllegalArgumentException("invalid key: " + key);
    }
    return prefix + key;
  }

  /**
   * One request under the retry policy: the SDK's failures as IOExceptions — a 4xx as {@link
   * Refused} (not tried again), a 5xx or a connection failure as one to try again.
   */
  <T> T call(String what, Callable<T> request) throws IOException {
    try {
      @SuppressWarnings("unchecked")
      T result =
          (T)
              retry.call(
                  () -> {
                    try {
                      return (Object) request.call();
                    } catch (S3Exception e) {
                      String message =
                          what
                              + " at "
                              + describe()
                              + " answered "
                              + e.statusCode()
                              + ": "
                              + (e.awsErrorDetails() == null
                                  ? e.getMessage()
                                  : e.awsErrorDetails().errorCode()
                                      + " "
                                      + e.awsErrorDetails().errorMessage());
                      throw e.statusCode() >= 500 || e.statusCode() == 429
                          ? new IOException(message, e)
                          : new Refused(message, e);
                    } catch (SdkClientException e) {
                      if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedIOException(what + ": interrupted");
                      }
                      throw new IOException(what + " at " + describe() + ": " + e.getMessage(), e);
                    }
                  },
                  Object.class);
      return result;
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(what + " at " + describe() + ": " + e, e);
    }
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
