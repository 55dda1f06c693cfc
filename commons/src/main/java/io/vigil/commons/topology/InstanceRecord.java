package io.vigil.commons.topology;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;

/**
 * What an instance writes under {@code /vigil/regions/{region}/zones/{zone}/instances/...}.
 *
 * @param url where the instance serves HTTP
 * @param service service name, e.g. {@code monitoring-service}
 * @param zone availability zone
 * @param region region name
 * @param version application version
 * @param startedAt when the instance started
 * @param managementUrl where its management interface answers {@code /q/health/ready} (null: on
 *     {@code url}, for an instance without one)
 * @param capabilities what the instance's code can do that an older version cannot ({@code
 *     vigil.instance.capabilities}), e.g. {@code record-keys}: a step that would break an older
 *     instance still running (a schema switch) waits until every instance lists it
 */
@RegisterForReflection
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstanceRecord(
    String url,
    String service,
    String zone,
    String region,
    String version,
    Instant startedAt,
    String managementUrl,
    java.util.List<String> capabilities) {

  /** Whether the instance lists this capability. */
  public boolean can(String capability) {
    return capabilities != null && capabilities.contains(capability);
  }

  /** Where its readiness is checked: the management interface, else the API's URL. */
  public String healthUrl() {
    return managementUrl == null || managementUrl.isBlank() ? url : managementUrl;
  }
}
