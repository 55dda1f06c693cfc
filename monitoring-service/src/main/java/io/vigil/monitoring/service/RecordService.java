package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.repository.RecordRepository;
import io.vigil.monitoring.repository.RecordRow;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.ResourceRepository;
import io.vigil.monitoring.repository.StoredResource;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Storing and reading records. A store is one transaction: the rows (new ones only, so a retry
 * stores nothing twice) and the store request; it is acknowledged only after the commit.
 */
@ApplicationScoped
public class RecordService {

  /** What a store answered. */
  public record Stored(String requestId, int received, int stored) {}

  /** A page of records, with the total when asked for. */
  public record Page(List<RecordRepository.Stored> records, Long total) {}

  private final Pool pool;
  private final ResourceRepository resources;
  private final RecordRepository records;

  RecordService(Pool pool, ResourceRepository resources, RecordRepository records) {
    this.pool = pool;
    this.resources = resources;
    this.records = records;
  }

  /** Parses, checks and stores a records body for a data set. */
  public Uni<Stored> store(
      ResourceService.Tenant t, String dataSetId, JsonNode body, String idempotencyKey) {
    return storeRules(t, dataSetId)
        .chain(
            rules -> {
              List<RecordRow> rows =
                  RecordParser.parse(
                      rules.type(), body, rules.idField(), idempotencyKey, Instant.now());
              String requestId = UUID.randomUUID().toString();
              return records
                  .store(pool, t.id(), dataSetId, requestId, rows)
                  .map(
                      stored -> {
                        if (stored == null) {
                          rulesCache.remove(t.id() + "/" + dataSetId);
                          throw ApiException.notFound("data set", dataSetId);
                        }
                        return new Stored(requestId, rows.size(), stored);
                      });
            });
  }

  /**
   * Stores records sent as CSV: named by the header line or, without one, by the data set's schema;
   * then stored like a JSON body. Answers what was stored and the rows left out.
   */
  public Uni<Stored> storeCsv(
      ResourceService.Tenant t,
      String dataSetId,
      String csv,
      CsvRecords.Options options,
      String idempotencyKey) {
    return resources
        .get(t.id(), io.vigil.monitoring.repository.ResourceKind.DATA_SETS, dataSetId)
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("data set", dataSetId))
        .chain(
            ds -> {
              List<String> names = new java.util.ArrayList<>();
              ds.entity()
                  .path("data_schema")
                  .path("fields")
                  .forEach(f -> names.add(f.path("name").asText()));
              CsvRecords.Parsed parsed = CsvRecords.parse(csv, options, names);
              if (parsed.records().isEmpty()) {
                throw ApiException.badRequest("the CSV body holds no record to store");
              }
              return store(t, dataSetId, parsed.records(), idempotencyKey)
                  .map(
                      s -> new Stored(s.requestId(), s.received() + parsed.rejected(), s.stored()));
            });
  }

  /** How a data set's records are parsed: its type and the field that identifies a row. */
  private record StoreRules(String type, String idField, long expiresAt) {}

  private static final long RULES_TTL_NANOS = 5_000_000_000L;
  private final java.util.Map<String, StoreRules> rulesCache =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The parsing rules of a data set, cached for a few seconds so small batches do not pay two
   * lookups each; the store itself checks that the data set still exists.
   */
  private Uni<StoreRules> storeRules(ResourceService.Tenant t, String dataSetId) {
    String key = t.id() + "/" + dataSetId;
    StoreRules cached = rulesCache.get(key);
    long now = System.nanoTime();
    if (cached != null && cached.expiresAt() - now > 0) {
      return Uni.createFrom().item(cached);
    }
    return dataSet(t, dataSetId)
        .chain(
            ds ->
                idField(t, ds)
                    .map(
                        idField -> {
                          StoreRules rules =
                              new StoreRules(
                                  ds.entity().path("type").asText(),
                                  idField,
                                  now + RULES_TTL_NANOS);
                          if (rulesCache.size() > 10_000) {
                            rulesCache.clear();
                          }
                          rulesCache.put(key, rules);
                          return rules;
                        }));
  }

  /** A store request's state. */
  public Uni<RecordRepository.StoreRequest> request(
      ResourceService.Tenant t, String dataSetId, String requestId) {
    return dataSet(t, dataSetId)
        .chain(ds -> records.request(pool, t.id(), dataSetId, requestId))
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("store request", requestId));
  }

  /** A page of records. */
  public Uni<Page> read(
      ResourceService.Tenant t,
      String dataSetId,
      RecordQuery query,
      int limit,
      int offset,
      boolean total) {
    return dataSet(t, dataSetId)
        .chain(
            ds ->
                records
                    .page(pool, dataSetId, t.id(), query.where(), query.params(), limit, offset)
                    .chain(
                        page ->
                            total
                                ? records
                                    .count(pool, dataSetId, t.id(), query.where(), query.params())
                                    .map(n -> new Page(page, n))
                                : Uni.createFrom().item(new Page(page, null))));
  }

  /** One record of a data set by its id; 404 when the data set or the record is not there. */
  public Uni<RecordRepository.Stored> one(ResourceService.Tenant t, String dataSetId, String id) {
    return dataSet(t, dataSetId)
        .chain(ds -> records.one(pool, t.id(), dataSetId, id))
        .map(
            found -> {
              if (found == null) {
                throw ApiException.notFound("record", id);
              }
              return found;
            });
  }

  /**
   * Late labels and corrections: JSON Patch operations on records, all applied in one transaction
   * or none (a record that is not there is a 404 and nothing changes). {@code byRecord} maps each
   * record id to its operations, whose paths point into the record's entity ({@code /values/Risk}).
   * Answers the records as they are now.
   */
  public Uni<List<RecordRepository.Stored>> patch(
      ResourceService.Tenant t, String dataSetId, java.util.Map<String, ArrayNode> byRecord) {
    if (byRecord.size() > MAX_PATCHED) {
      throw ApiException.badRequest(
          "one PATCH changes at most "
              + MAX_PATCHED
              + " records; this one names "
              + byRecord.size());
    }
    List<String> ids = new ArrayList<>(byRecord.keySet());
    return dataSet(t, dataSetId)
        .chain(
            ds ->
                pool.withTransaction(
                    c ->
                        records
                            .lock(c, t.id(), dataSetId, ids)
                            .chain(
                                found -> {
                                  List<RecordRepository.Stored> changed = new ArrayList<>();
                                  java.util.TreeSet<String> missing = new java.util.TreeSet<>(ids);
                                  for (RecordRepository.Stored r : found) {
                                    missing.remove(r.recordId());
                                    changed.add(patched(r, byRecord.get(r.recordId())));
                                  }
                                  if (!missing.isEmpty()) {
                                    throw ApiException.notFound("record", missing.first());
                                  }
                                  return records
                                      .replaceValues(
                                          c,
                                          t.id(),
                                          dataSetId,
                                          changed.stream()
                                              .map(RecordRepository.Stored::recordId)
                                              .toList(),
                                          changed.stream()
                                              .map(RecordRepository.Stored::values)
                                              .toList())
                                      .replaceWith(changed);
                                })));
  }

  private static final int MAX_PATCHED = 10_000;

  private static RecordRepository.Stored patched(RecordRepository.Stored r, ArrayNode ops) {
    for (JsonNode op : ops) {
      if (!op.path("path").asText("").startsWith("/values/")) {
        throw ApiException.badRequest(
            "a record patch changes its values: paths are /values/<field>, not '"
                + op.path("path").asText("")
                + "'");
      }
    }
    ObjectNode entity = Json.MAPPER.createObjectNode();
    try {
      entity.set("values", Json.MAPPER.readTree(r.values()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    ObjectNode result = JsonPatch.apply(entity, ops);
    return new RecordRepository.Stored(
        r.recordId(), r.timestamp(), result.get("values").toString());
  }

  private Uni<StoredResource> dataSet(ResourceService.Tenant t, String id) {
    return resources
        .get(t.id(), ResourceKind.DATA_SETS, id)
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("data set", id));
  }

  private Uni<String> idField(ResourceService.Tenant t, StoredResource dataSet) {
    JsonNode target = dataSet.entity().path("target");
    if (!target.path("target_type").asText().equals("subscription")) {
      return Uni.createFrom().nullItem();
    }
    return resources
        .get(t.id(), ResourceKind.SUBSCRIPTIONS, target.path("target_id").asText())
        .map(
            s ->
                s == null
                    ? null
                    : s.entity()
                        .path("asset_properties")
                        .path("transaction_id_field")
                        .asText(null));
  }
}
