package io.vigil.router.service;

import io.quarkus.runtime.configuration.MemorySize;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.router.config.RouterConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The router's configuration for unit tests: the defaults, static instances, no etcd. */
record TestRouterConfig(List<String> instances) implements RouterConfig {

  public Optional<List<String>> staticInstances() {
    return Optional.of(instances);
  }

  public String monitoringService() {
    return "monitoring-service";
  }

  public Duration topologyRefresh() {
    return Duration.ofSeconds(1);
  }

  public Warmup warmup() {
    return new Warmup() {
      public Duration duration() {
        return Duration.ZERO;
      }

      public int connections() {
        return 1;
      }
    };
  }

  public HealthCheck healthCheck() {
    return new HealthCheck() {
      public Duration interval() {
        return Duration.ofMillis(250);
      }

      public Duration timeout() {
        return Duration.ofMillis(200);
      }

      public int fall() {
        return 2;
      }

      public int rise() {
        return 2;
      }
    };
  }

  public MemorySize maxBodySize() {
    return new MemorySize(java.math.BigInteger.valueOf(10L << 20));
  }

  public Optional<String> preferredZone() {
    return Optional.empty();
  }

  public int spillOverOutstanding() {
    return 64;
  }

  public Duration slowStart() {
    return Duration.ZERO;
  }

  public Retry retry() {
    throw new UnsupportedOperationException("the pool does not retry");
  }

  public Tls tls() {
    return () -> true;
  }

  public Standby standby() {
    throw new UnsupportedOperationException("the pool has no standby region");
  }

  /** A region whose etcd is not configured. */
  static RegionConfig regionWithoutEtcd() {
    return new RegionConfig() {
      public String name() {
        return "us-south";
      }

      public String zone() {
        return "zone-a";
      }

      public Optional<String> instanceId() {
        return Optional.empty();
      }

      public Optional<String> advertisedUrl() {
        return Optional.empty();
      }

      public Optional<String> advertisedManagementUrl() {
        return Optional.empty();
      }

      public Etcd etcd() {
        return new Etcd() {
          public Optional<List<String>> endpoints() {
            return Optional.empty();
          }

          public Optional<String> user() {
            return Optional.empty();
          }

          public Optional<String> password() {
            return Optional.empty();
          }

          public Duration leaseTtl() {
            return Duration.ofSeconds(5);
          }

          public Duration callTimeout() {
            return Duration.ofSeconds(2);
          }
        };
      }
    };
  }
}
