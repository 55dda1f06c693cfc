package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.config.MonitoringConfig;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.SecretRepository;
import io.vigil.monitoring.repository.SecretRepository.Sealed;
import io.vigil.monitoring.repository.Sessions;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Credentials are write-only: where an entity holds them (OPENSCALE-API.md: service providers,
 * database configurations, scoring endpoints, training data connections) they are sealed with
 * AES-256-GCM into the {@code secrets} table and the entity keeps only {@code {"secret_id": ...}},
 * which is all the API ever answers. The tenant and the secret id are the cipher's associated data,
 * so a sealed value moved to another row or tenant does not open.
 */
@ApplicationScoped
public class Credentials {

  /** Where each kind's entity holds credentials. */
  static final Map<ResourceKind, List<String>> PATHS =
      Map.of(
          ResourceKind.SERVICE_PROVIDERS, List.of("credentials"),
          ResourceKind.DATA_MARTS, List.of("database_configuration.credentials"),
          ResourceKind.INTEGRATED_SYSTEMS, List.of("credentials"),
          ResourceKind.SUBSCRIPTIONS,
              List.of(
                  "deployment.scoring_endpoint.credentials",
                  "asset_properties.training_data_reference.connection"));

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretRepository secrets;
  private final Sessions sessions;
  private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
  private final String activeKey;
  private final SecureRandom random = new SecureRandom();

  Credentials(SecretRepository secrets, Sessions sessions, MonitoringConfig config) {
    this.secrets = secrets;
    this.sessions = sessions;
    keys.putAll(
        io.vigil.commons.security.AesKeys.parse(
            config.secrets().keys().orElse(List.of()), "vigil.monitoring.secrets.keys", 255));
    this.activeKey = keys.isEmpty() ? null : keys.keySet().iterator().next();
  }

  /**
   * Seals every credential an entity of {@code kind} holds in clear, in place; a {@code
   * {"secret_id"}} that is already there must name a secret of this tenant.
   */
  public Uni<Void> seal(
      SecretRepository.Vault vault, String tenant, ResourceKind kind, ObjectNode entity) {
    List<Uni<Void>> steps = new ArrayList<>();
    for (String path : PATHS.getOrDefault(kind, List.of())) {
      ObjectNode parent = parentOf(entity, path);
      String field = path.substring(path.lastIndexOf('.') + 1);
      JsonNode value = parent == null ? null : parent.get(field);
      if (value == null) {
        continue;
      }
      if (!value.isObject()) {
        throw ApiException.badRequest("'" + path + "' must be an object");
      }
      if (isReference(value)) {
        String id = value.get("secret_id").asText();
        steps.add(
            vault
                .has(id)
                .invoke(
                    found -> {
                      if (!found) {
                        throw ApiException.badRequest(
                            "'" + path + ".secret_id' names no secret of this service instance");
                      }
                    })
                .replaceWithVoid());
      } else {
        String id = UUID.randomUUID().toString();
        Sealed sealed = encrypt(tenant, id, value);
        parent.putObject(field).put("secret_id", id);
        steps.add(vault.put(sealed));
      }
    }
    return concat(steps);
  }

  /** Deletes the secrets {@code before} referred to that {@code after} (null: none) does not. */
  public Uni<Void> release(
      Mutiny.Session c, String tenant, ResourceKind kind, JsonNode before, JsonNode after) {
    List<String> gone = references(kind, before);
    gone.removeAll(after == null ? List.of() : references(kind, after));
    return secrets.delete(c, tenant, gone);
  }

  /** A tenant's secret in clear, for the component that uses it (scoring, notifications). */
  public Uni<ObjectNode> reveal(String tenant, String secretId) {
    return sessions
        .read(s -> SecretRepository.get(s, tenant, secretId))
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("secret", secretId))
        .map(s -> decrypt(tenant, s));
  }

  /**
   * A secret of an export (sealed for {@code fromTenant}) sealed again for another tenant and id.
   */
  public Sealed reseal(String fromTenant, Sealed from, String tenant, String id) {
    return encrypt(tenant, id, decrypt(fromTenant, from));
  }

  private static boolean isReference(JsonNode value) {
    return value.size() == 1 && value.path("secret_id").isTextual();
  }

  private static List<String> references(ResourceKind kind, JsonNode entity) {
    List<String> ids = new ArrayList<>();
    for (String path : PATHS.getOrDefault(kind, List.of())) {
      JsonNode node = entity;
      for (String part : path.split("\\.")) {
        node = node.path(part);
      }
      if (node.path("secret_id").isTextual()) {
        ids.add(node.get("secret_id").asText());
      }
    }
    return ids;
  }

  private static ObjectNode parentOf(ObjectNode entity, String path) {
    JsonNode node = entity;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.get(parts[i]);
      if (node == null || !node.isObject()) {
        return null;
      }
    }
    return (ObjectNode) node;
  }

  private Sealed encrypt(String tenant, String id, JsonNode value) {
    if (activeKey == null) {
      throw new ApiException(
          500,
          "secrets_not_configured",
          "this service has no key to seal credentials with (vigil.monitoring.secrets.keys);"
              + " nothing was stored");
    }
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(activeKey), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad(tenant, id));
      byte[] sealed = cipher.doFinal(Json.MAPPER.writeValueAsBytes(value));
      return new Sealed(id, activeKey, nonce, sealed);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("sealing a credential failed", e);
    }
  }

  private ObjectNode decrypt(String tenant, Sealed s) {
    SecretKeySpec key = keys.get(s.keyId());
    if (key == null) {
      throw new ApiException(
          500,
          "secret_key_missing",
          "secret " + s.id() + " is sealed with key '" + s.keyId() + "', which this service lacks");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, s.nonce()));
      cipher.updateAAD(aad(tenant, s.id()));
      return (ObjectNode) Json.MAPPER.readTree(cipher.doFinal(s.ciphertext()));
    } catch (GeneralSecurityException e) {
      throw ApiException.badRequest(
          "secret " + s.id() + " does not open with key '" + s.keyId() + "' for this tenant");
    } catch (IOException e) {
      throw new IllegalStateException("a sealed credential is not JSON", e);
    }
  }

  private static byte[] aad(String tenant, String id) {
    return (tenant + "\n" + id).getBytes(StandardCharsets.UTF_8);
  }

  private static Uni<Void> concat(List<Uni<Void>> steps) {
    if (steps.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return Multi.createFrom()
        .iterable(steps)
        .onItem()
        .transformToUniAndConcatenate(u -> u)
        .collect()
        .last()
        .replaceWithVoid();
  }
}
