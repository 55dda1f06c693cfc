package io.vigil.monitoring.rest;

import io.vigil.monitoring.service.ResourceService;
import jakarta.enterprise.context.RequestScoped;

/** Who is calling, as the authentication filter established it for this request. */
@RequestScoped
public class Caller {

  private String serviceInstanceId;
  private String principal;

  void set(String serviceInstanceId, String principal) {
    this.serviceInstanceId = serviceInstanceId;
    this.principal = principal;
  }

  /** The tenant: the service instance the key belongs to. */
  public String serviceInstanceId() {
    return serviceInstanceId;
  }

  /** Who acts, for {@code created_by}/{@code modified_by}: the key's name. */
  public String principal() {
    return principal;
  }

  /** The tenant and principal, as the services take them. */
  public ResourceService.Tenant tenant() {
    return new ResourceService.Tenant(serviceInstanceId, principal);
  }
}
