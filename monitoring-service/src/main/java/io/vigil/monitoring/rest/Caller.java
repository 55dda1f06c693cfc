package io.vigil.monitoring.rest;

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
}
