package io.vigil.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class S3ProxyServerTest {

  @Test
  void storesListsAndReturnsObjectsThroughAnS3Client() {
    try (S3ProxyServer s3 = S3ProxyServer.start(Workspace.forTests(), "s3proxy");
        S3Client client = client(s3, s3.secretKey())) {
      client.createBucket(b -> b.bucket("backups"));
      byte[] body = "base backup bytes".getBytes(StandardCharsets.UTF_8);
      client.putObject(
          b -> b.bucket("backups").key("us-south/pg/base/1/base.tar"), RequestBody.fromBytes(body));
      client.putObject(
          b -> b.bucket("backups").key("us-south/etcd/2.db"), RequestBody.fromString("snap"));

      assertThat(
              client
                  .listObjectsV2(b -> b.bucket("backups").prefix("us-south/pg/"))
                  .contents()
                  .stream()
                  .map(S3Object::key)
                  // the filesystem store lists its directories as folder markers
                  .filter(k -> !k.endsWith("/")))
          .containsExactly("us-south/pg/base/1/base.tar");
      assertThat(
              client
                  .getObjectAsBytes(b -> b.bucket("backups").key("us-south/pg/base/1/base.tar"))
                  .asByteArray())
          .isEqualTo(body);
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> client.getObjectAsBytes(b -> b.bucket("backups").key("missing")))
          .isInstanceOf(NoSuchKeyException.class);

      try (S3Client wrongSecret = client(s3, "not-the-secret")) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> wrongSecret.listObjectsV2(b -> b.bucket("backups")))
            .isInstanceOf(S3Exception.class)
            .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
      }
    }
  }

  private static S3Client client(S3ProxyServer s3, String secret) {
    return S3Client.builder()
        .endpointOverride(URI.create(s3.endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), secret)))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }
}
