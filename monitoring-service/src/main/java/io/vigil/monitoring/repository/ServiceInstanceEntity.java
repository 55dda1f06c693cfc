package io.vigil.monitoring.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A service instance (tenant) as Hibernate Reactive maps it: {@code service_instances}. */
@Entity
@Table(name = "service_instances")
public class ServiceInstanceEntity {

  /** The instance's id, the first segment of its API paths. */
  @Id public String id;

  /** Its display name. */
  @Column(nullable = false)
  public String name;

  /** When it was created. */
  @Column(name = "created_at", nullable = false)
  public OffsetDateTime createdAt;
}
