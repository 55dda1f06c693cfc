package io.vigil.monitoring.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/**
 * An API key as Hibernate Reactive maps it: {@code api_keys}, keyed by the key's SHA-256 (the key
 * itself is never stored).
 */
@Entity
@Table(name = "api_keys")
public class ApiKeyEntity {

  /** SHA-256 of the key. */
  @Id
  @Column(name = "key_hash")
  public byte[] keyHash;

  /** The service instance it belongs to. */
  @Column(name = "service_instance_id", nullable = false)
  public String serviceInstanceId;

  /** The key's name. */
  @Column(nullable = false)
  public String name;

  /** When it was created. */
  @Column(name = "created_at", nullable = false)
  public OffsetDateTime createdAt;
}
