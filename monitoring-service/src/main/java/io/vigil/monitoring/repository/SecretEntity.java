package io.vigil.monitoring.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.OffsetDateTime;

/**
 * A sealed credential as Hibernate Reactive maps it: {@code secrets}, AES-256-GCM ciphertext with
 * its nonce and key id ({@code Credentials} seals and opens it; nothing here is in clear).
 */
@Entity
@Table(name = "secrets")
@IdClass(SecretEntity.Key.class)
public class SecretEntity {

  /** The primary key: tenant, id. */
  public record Key(String serviceInstanceId, String id) implements Serializable {

    /** For Hibernate. */
    public Key() {
      this(null, null);
    }
  }

  /** The owning service instance. */
  @Id
  @Column(name = "service_instance_id")
  public String serviceInstanceId;

  /** The secret's id ({@code {"secret_id": ...}} in entities). */
  @Id public String id;

  /** The id of the key it is sealed with. */
  @Column(name = "key_id", nullable = false)
  public String keyId;

  /** The GCM nonce. */
  @Column(nullable = false)
  public byte[] nonce;

  /** The sealed credential. */
  @Column(nullable = false)
  public byte[] ciphertext;

  /** When it was sealed. */
  @Column(name = "created_at", nullable = false)
  public OffsetDateTime createdAt;
}
