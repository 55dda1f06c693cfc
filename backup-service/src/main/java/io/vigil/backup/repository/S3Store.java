package io.vigil.backup.repository;

import io.smallrye.faulttolerance.api.Guard;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A repository in an S3-compatible bucket (AWS S3, MinIO, Ceph, S3Proxy): path-style requests
 * signed with AWS Signature V4 over the JDK's HTTP client, the payload's SHA-256 signed too, so the
 * store rejects a body that changed on the way. Objects up to 5 GB (one PUT each).
 *
 * <p>Over 300 lines on purpose, for now: the hand-written S3 client (SigV4, XML) is replaced whole
 * by the AWS SDK for Java v2 in the backup-encryption issue; splitting it first would be work
 * thrown away.
 */
public final class S3Store implements ObjectStore {

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern CONTENTS =
      Pattern.compile("<Contents>(.*?)</Contents>", Pattern.DOTALL);
  private static final Pattern KEY = Pattern.compile("<Key>(.*?)</Key>", Pattern.DOTALL);
  private static final Pattern SIZE = Pattern.compile("<Size>(\\d+)</Size>");
  private static final Pattern NEXT =
      Pattern.compile("<NextContinuationToken>(.*?)</NextContinuationToken>", Pattern.DOTALL);
  private static final Pattern TRUNCATED = Pattern.compile("<IsTruncated>true</IsTruncated>");
  private static final String EMPTY_SHA =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private final URI endpoint;
  private final String bucket;
  private final String prefix;
  private final String accessKey;
  private final String secretKey;
  private final String signingRegion;
  private final Path localStaging;
  private final HttpClient http;

  /**
   * Every request here is idempotent (whole-object PUTs, GETs, DELETEs, lists): a 5xx, a broken
   * connection or no answer in time is tried again, twice, 100 ms and then 400 ms later, as S3
   * clients do; an interrupted request is not.
   */
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
          .abortOn(InterruptedIOException.class)
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
    this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
    this.bucket = bucket;
    this.prefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.signingRegion = signingRegion;
    this.localStaging = localStaging.toAbsolutePath();
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @Override
  public void put(String key, Path file, String sha256) throws IOException {
    send(
        "PUT",
        objectPath(key),
        Map.of(),
        HttpRequest.BodyPublishers.ofFile(file),
        sha256,
        Duration.ofMinutes(30),
        HttpResponse.BodyHandlers.ofString(),
        200);
    Files.deleteIfExists(file);
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    send(
        "PUT",
        objectPath(key),
        Map.of(),
        HttpRequest.BodyPublishers.ofByteArray(content),
        sha256(content),
        Duration.ofSeconds(30),
        HttpResponse.BodyHandlers.ofString(),
        200);
  }

  @Override
  public Optional<InputStream> open(String key) throws IOException {
    HttpResponse<InputStream> r =
        send(
            "GET",
            objectPath(key),
            Map.of(),
            HttpRequest.BodyPublishers.noBody(),
            EMPTY_SHA,
            Duration.ofMinutes(30),
            HttpResponse.BodyHandlers.ofInputStream(),
            200,
            404);
    if (r.statusCode() == 404) {
      r.body().close();
      return Optional.empty();
    }
    return Optional.of(r.body());
  }

  @Override
  public List<Entry> list(String keyPrefix) throws IOException {
    List<Entry> out = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> query = new TreeMap<>();
      query.put("list-type", "2");
      query.put("prefix", prefix + keyPrefix);
      if (token != null) {
        query.put("continuation-token", token);
      }
      String xml =
          send(
                  "GET",
                  "/" + bucket,
                  query,
                  HttpRequest.BodyPublishers.noBody(),
                  EMPTY_SHA,
                  Duration.ofSeconds(30),
                  HttpResponse.BodyHandlers.ofString(),
                  200)
              .body();
      Matcher contents = CONTENTS.matcher(xml);
      while (contents.find()) {
        Matcher k = KEY.matcher(contents.group(1));
        Matcher s = SIZE.matcher(contents.group(1));
        if (k.find() && s.find()) {
          String key = unescape(k.group(1));
          out.add(new Entry(key.substring(prefix.length()), Long.parseLong(s.group(1))));
        }
      }
      Matcher next = NEXT.matcher(xml);
      token = TRUNCATED.matcher(xml).find() && next.find() ? unescape(next.group(1)) : null;
    } while (token != null);
    return out;
  }

  @Override
  public void delete(String key) throws IOException {
    send(
        "DELETE",
        objectPath(key),
        Map.of(),
        HttpRequest.BodyPublishers.noBody(),
        EMPTY_SHA,
        Duration.ofSeconds(30),
        HttpResponse.BodyHandlers.ofString(),
        204,
        200,
        404);
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
    HttpResponse<String> r =
        send(
            "HEAD",
            "/" + bucket,
            Map.of(),
            HttpRequest.BodyPublishers.noBody(),
            EMPTY_SHA,
            Duration.ofSeconds(5),
            HttpResponse.BodyHandlers.ofString(),
            200,
            404);
    if (r.statusCode() == 404) {
      send(
          "PUT",
          "/" + bucket,
          Map.of(),
          HttpRequest.BodyPublishers.noBody(),
          EMPTY_SHA,
          Duration.ofSeconds(10),
          HttpResponse.BodyHandlers.ofString(),
          200,
          409);
    }
    put(".probe", new byte[] {1});
  }

  private String objectPath(String key) {
    if (key.isEmpty() || key.contains("..")) {
      throw new IllegalArgumentException("invalid key: " + key);
    }
    return "/" + bucket + "/" + prefix + key;
  }

  private <T> HttpResponse<T> send(
      String method,
      String path,
      Map<String, String> query,
      HttpRequest.BodyPublisher body,
      String payloadSha,
      Duration timeout,
      HttpResponse.BodyHandler<T> handler,
      int... ok)
      throws IOException {
    String canonicalPath = encodePath(path);
    StringBuilder canonicalQuery = new StringBuilder();
    for (Map.Entry<String, String> q : new TreeMap<>(query).entrySet()) {
      if (!canonicalQuery.isEmpty()) {
        canonicalQuery.append('&');
      }
      canonicalQuery.append(encode(q.getKey())).append('=').append(encode(q.getValue()));
    }
    String amzDate = AMZ_DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
    String day = amzDate.substring(0, 8);
    String host = endpoint.getAuthority();
    String signedHeaders = "host;x-amz-content-sha256;x-amz-date";
    String canonicalRequest =
        method
            + "\n"
            + canonicalPath
            + "\n"
            + canonicalQuery
            + "\nhost:"
            + host
            + "\nx-amz-content-sha256:"
            + payloadSha
            + "\nx-amz-date:"
            + amzDate
            + "\n\n"
            + signedHeaders
            + "\n"
            + payloadSha;
    String scope = day + "/" + signingRegion + "/s3/aws4_request";
    String toSign =
        "AWS4-HMAC-SHA256\n"
            + amzDate
            + "\n"
            + scope
            + "\n"
            + sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8));
    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), day);
    key = hmac(key, signingRegion);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    String signature = HexFormat.of().formatHex(hmac(key, toSign));
    URI uri =
        URI.create(
            endpoint + canonicalPath + (canonicalQuery.isEmpty() ? "" : "?" + canonicalQuery));
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .method(method, body)
            .header("x-amz-date", amzDate)
            .header("x-amz-content-sha256", payloadSha)
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential="
                    + accessKey
                    + "/"
                    + scope
                    + ", SignedHeaders="
                    + signedHeaders
                    + ", Signature="
                    + signature)
            .build();
    HttpResponse<T> response;
    try {
      @SuppressWarnings("unchecked")
      HttpResponse<T> r =
          (HttpResponse<T>) retry.call(() -> sendOnce(request, handler), HttpResponse.class);
      response = r;
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(method + " " + describe() + path + ": " + e, e);
    }
    for (int code : ok) {
      if (response.statusCode() == code) {
        return response;
      }
    }
    Object b = response.body();
    String detail =
        b instanceof InputStream in
            ? new String(in.readNBytes(2000), StandardCharsets.UTF_8)
            : String.valueOf(b);
    throw new IOException(
        method + " " + describe() + path + " answered " + response.statusCode() + ": " + detail);
  }

  /**
   * One try: a 5xx is a failure to try again (its body, the store's reason, in the message), a
   * broken connection or no answer in time ({@code HttpTimeoutException}) too.
   */
  private <T> HttpResponse<T> sendOnce(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    HttpResponse<T> response;
    try {
      response = http.send(request, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted: " + request.method() + " " + request.uri());
    }
    if (response.statusCode() >= 500) {
      Object b = response.body();
      String detail = "";
      if (b instanceof InputStream in) {
        try (in) {
          detail = new String(in.readNBytes(2000), StandardCharsets.UTF_8);
        }
      } else if (b != null) {
        detail = String.valueOf(b);
      }
      throw new IOException(
          request.method()
              + " "
              + request.uri().getPath()
              + " answered "
              + response.statusCode()
              + ": "
              + detail);
    }
    return response;
  }

  private static String encodePath(String path) {
    StringBuilder out = new StringBuilder();
    for (String segment : path.split("/", -1)) {
      if (!out.isEmpty() || path.startsWith("/")) {
        out.append('/');
      }
      out.append(encode(segment));
    }
    String s = out.toString();
    return s.startsWith("//") ? s.substring(1) : s;
  }

  /** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, the rest percent-encoded. */
  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8)
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~");
  }

  private static String unescape(String xml) {
    return xml.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }
}
