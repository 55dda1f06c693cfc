package io.vigil.testkit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vigil.process.EtcdCluster;
import io.vigil.process.EtcdRoles;
import io.vigil.process.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A one-member etcd for a {@code @QuarkusTest}, with authentication on as in every Vigil region: it
 * adds the region's service users and gives the service under test its own ({@link #serviceConfig})
 * in {@code vigil.region.etcd.*}. Tests reach the cluster through {@link #current()} and act on it
 * as root through {@link #client()}.
 */
public class EtcdResource implements QuarkusTestResourceLifecycleManager {

  /** The region every service test runs in (the services' default). */
  public static final String REGION = "us-south";

  private static volatile EtcdCluster current;
  private EtcdCluster etcd;

  @Override
  public Map<String, String> start() {
    etcd = EtcdCluster.start(Workspace.forTests(), "etcd", 1);
    current = etcd;
    return serviceConfig(etcd, Optional.empty());
  }

  /** The etcd of the running test application. */
  public static EtcdCluster current() {
    return current;
  }

  /** A new jetcd client of the running test application's etcd, acting as root. */
  public static Client client() {
    return client(current.endpoints(), current.root());
  }

  /** A new jetcd client of {@code endpoints} acting as {@code user}. */
  public static Client client(List<String> endpoints, EtcdCluster.User user) {
    return Client.builder()
        .endpoints(endpoints.toArray(String[]::new))
        .user(ByteSequence.from(user.name(), StandardCharsets.UTF_8))
        .password(ByteSequence.from(user.password(), StandardCharsets.UTF_8))
        .build();
  }

  /**
   * Adds {@link #REGION}'s service users to {@code etcd} and answers the configuration of the
   * service under test (named by {@code quarkus.application.name} in its {@code
   * application.properties}): endpoints, its user and password.
   *
   * @param patroniPrefix Patroni's keys the monitoring-service may read, when there is Patroni
   */
  static Map<String, String> serviceConfig(EtcdCluster etcd, Optional<String> patroniPrefix) {
    Map<String, EtcdCluster.User> users = EtcdRoles.addServiceUsers(etcd, REGION, patroniPrefix);
    return etcd.serviceConfig(users.get(EtcdRoles.userOf(applicationName())));
  }

  private static String applicationName() {
    try (InputStream in =
        Thread.currentThread()
            .getContextClassLoader()
            .getResourceAsStream("application.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      String name = p.getProperty("quarkus.application.name");
      if (name == null) {
        throw new IllegalStateException("no quarkus.application.name in application.properties");
      }
      return name;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }
}
