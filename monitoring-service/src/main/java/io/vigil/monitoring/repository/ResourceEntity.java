package io.vigil.monitoring.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.OffsetDateTime;
import org.hibernate.annotations.ColumnTransformer;

/**
 * A configuration resource of the v2 API as Hibernate Reactive maps it: {@code resources}, one row
 * per (tenant, kind, id) with its entity document. The document is JSON text here and {@code jsonb}
 * in PostgreSQL, where list filters match it by containment (a GIN index).
 */
@Entity
@Table(name = "resources")
@IdClass(ResourceEntity.Key.class)
public class ResourceEntity {

  /** The primary key: tenant, kind, id. */
  public record Key(String serviceInstanceId, String kind, String id) implements Serializable {

    /** For Hibernate. */
    public Key() {
      this(null, null, null);
    }
  }

  /** The owning service instance. */
  @Id
  @Column(name = "service_instance_id")
  public String serviceInstanceId;

  /** The kind's path segment ({@link ResourceKind#path}). */
  @Id public String kind;

  /** The resource's id. */
  @Id public String id;

  /**
   * The entity document (JSON). Bound as text and cast: the PostgreSQL client would send a string
   * bound to a {@code jsonb} parameter as a JSON string.
   */
  @Column(nullable = false)
  @ColumnTransformer(read = "entity::text", write = "cast(cast(? as text) as jsonb)")
  public String entity;

  /** When it was created. */
  @Column(name = "created_at", nullable = false)
  public OffsetDateTime createdAt;

  /** Who created it. */
  @Column(name = "created_by", nullable = false)
  public String createdBy;

  /** When it last changed. */
  @Column(name = "modified_at", nullable = false)
  public OffsetDateTime modifiedAt;

  /** Who changed it last. */
  @Column(name = "modified_by", nullable = false)
  public String modifiedBy;
}
