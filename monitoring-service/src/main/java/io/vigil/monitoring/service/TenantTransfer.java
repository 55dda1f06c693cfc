package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.commons.api.Times;
import io.vigil.monitoring.repository.ResourceKind;
import io.vigil.monitoring.repository.SecretRepository;
import io.vigil.monitoring.repository.Sessions;
import io.vigil.monitoring.repository.StoredResource;
import io.vigil.monitoring.repository.TransferRepository;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A tenant's own backup: everything it configured and stored, exported as a stream of JSON lines (a
 * header, resources, records, measurements, and a trailer with the counts), and imported into an
 * empty service instance, here or in another region. Import gives every resource a new id and
 * rewrites the references, so it never collides with what the target database holds.
 *
 * <p>The import is one transaction of the Vert.x client: its records go through the records' own
 * store (keys, day partitions), and the resources and sealed secrets it writes must commit or roll
 * back with them, so here they are written with SQL ({@link TransferRepository}, {@link
 * SecretRepository#in(io.vertx.mutiny.sqlclient.SqlClient, String)}) where every other change of
 * configuration goes through Hibernate Reactive.
 *
 * <p>Over 300 lines: export and import walk the same resource graph in both directions.
 */
@ApplicationScoped
public class TenantTransfer {

  /** Format name in the header line. */
  public static final String FORMAT = "vigil-tenant-export";

  private final Pool pool;
  private final ResourceService resources;
  private final TransferRepository transfers;
  private final SecretRepository secrets;
  private final Credentials credentials;
  private final Sessions sessions;

  TenantTransfer(
      Pool pool,
      ResourceService resources,
      TransferRepository transfers,
      SecretRepository secrets,
      Credentials credentials,
      Sessions sessions) {
    this.pool = pool;
    this.sessions = sessions;
    this.resources = resources;
    this.transfers = transfers;
    this.secrets = secrets;
    this.credentials = credentials;
  }

  /** The export, one JSON object per element, in dependency order. */
  public Multi<ObjectNode> export(ResourceService.Tenant t) {
    Map<String, Long> counts = new LinkedHashMap<>();
    ObjectNode header = Json.MAPPER.createObjectNode();
    header
        .put("type", "header")
        .put("format", FORMAT)
        .put("version", 1)
        .put("service_instance_id", t.id())
        .put("exported_at", Instant.now().toString());
    // credentials stay sealed: an export opens only where the same key is configured
    Multi<ObjectNode> sealed =
        sessions
            .read(s -> secrets.all(s, t.id()))
            .onItem()
            .transformToMulti(all -> Multi.createFrom().iterable(all))
            .map(
                x -> {
                  ObjectNode line = Json.MAPPER.createObjectNode();
                  line.put("type", "secret")
                      .put("id", x.id())
                      .put("key_id", x.keyId())
                      .put("nonce", Base64.getEncoder().encodeToString(x.nonce()))
                      .put("ciphertext", Base64.getEncoder().encodeToString(x.ciphertext()));
                  counts.merge("secrets", 1L, Long::sum);
                  return line;
                });
    Multi<ObjectNode> configuration =
        Multi.createFrom()
            .items(
                ResourceKind.DATA_MARTS,
                ResourceKind.SERVICE_PROVIDERS,
                ResourceKind.SUBSCRIPTIONS,
                ResourceKind.DATA_SETS,
                ResourceKind.MONITOR_DEFINITIONS,
                ResourceKind.MONITOR_INSTANCES,
                ResourceKind.INTEGRATED_SYSTEMS)
            .onItem()
            .transformToMultiAndConcatenate(
                kind ->
                    resources
                        .list(t, kind, Map.of())
                        .onItem()
                        .transformToMulti(list -> Multi.createFrom().iterable(list))
                        .select()
                        .where(
                            r ->
                                !MonitorDefinitions.LISTED.containsKey(r.id())
                                    || kind != ResourceKind.MONITOR_DEFINITIONS)
                        .map(r -> resourceLine(r, counts)));
    Multi<ObjectNode> records =
        transfers
            .records(t.id())
            .map(
                r -> {
                  ObjectNode line = Json.MAPPER.createObjectNode();
                  line.put("type", "record")
                      .put("data_set_id", r.dataSetId())
                      .put("record_id", r.recordId())
                      .put("ts", r.ts());
                  line.set("values", parse(r.values()));
                  counts.merge("records", 1L, Long::sum);
                  return line;
                });
    Multi<ObjectNode> measurements =
        transfers
            .measurements(t.id())
            .map(
                entity -> {
                  ObjectNode line = Json.MAPPER.createObjectNode();
                  line.put("type", "measurement");
                  line.set("entity", parse(entity));
                  counts.merge("measurements", 1L, Long::sum);
                  return line;
                });
    Multi<ObjectNode> trailer =
        Multi.createFrom()
            .item(
                () -> {
                  ObjectNode end = Json.MAPPER.createObjectNode();
                  end.put("type", "end");
                  ObjectNode c = end.putObject("counts");
                  counts.forEach(c::put);
                  return end;
                });
    return Multi.createBy()
        .concatenating()
        .streams(
            Multi.createFrom().item(header), sealed, configuration, records, measurements, trailer);
  }

  private ObjectNode resourceLine(StoredResource r, Map<String, Long> counts) {
    ObjectNode line = Json.MAPPER.createObjectNode();
    line.put("type", "resource")
        .put("kind", r.kind().path())
        .put("id", r.id())
        .put("created_at", r.createdAt())
        .put("created_by", r.createdBy());
    line.set("entity", r.entity());
    counts.merge(r.kind().path(), 1L, Long::sum);
    return line;
  }

  /** What an import stored. */
  public record Imported(Map<String, Long> counts) {}

  /** Imports an export (JSON lines) into an empty service instance, in one transaction. */
  public Uni<Imported> importInto(ResourceService.Tenant t, String body) {
    List<JsonNode> lines = lines(body);
    JsonNode header = lines.get(0);
    if (!header.path("type").asText().equals("header")
        || !header.path("format").asText().equals(FORMAT)) {
      throw ApiException.badRequest("the first line must be the header of a " + FORMAT);
    }
    JsonNode trailer = lines.get(lines.size() - 1);
    if (!trailer.path("type").asText().equals("end")) {
      throw ApiException.badRequest("the export is cut short: its last line is not the trailer");
    }
    String oldTenant = header.path("service_instance_id").asText();
    Map<String, String> ids = new HashMap<>();
    ids.put(oldTenant, t.id());
    Set<String> dataSets = new HashSet<>(); // the new ids of the data sets the export holds
    for (JsonNode line : lines) {
      if (line.path("type").asText().equals("secret")) {
        ids.put(line.path("id").asText(), UUID.randomUUID().toString());
      }
      if (line.path("type").asText().equals("resource")
          && !line.path("kind").asText().equals("data_marts")
          && !line.path("kind").asText().equals("monitor_definitions")) {
        String id = UUID.randomUUID().toString();
        ids.put(line.path("id").asText(), id);
        if (line.path("kind").asText().equals("data_sets")) {
          dataSets.add(id);
        }
      }
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    return pool.withTransaction(
            c ->
                transfers
                    .countResources(c, t.id())
                    .invoke(
                        n -> {
                          if (n > 0) {
                            throw ApiException.conflict(
                                "import needs an empty service instance; "
                                    + t.id()
                                    + " has resources");
                          }
                        })
                    .chain(
                        () ->
                            Multi.createFrom()
                                .iterable(lines.subList(1, lines.size() - 1))
                                .onItem()
                                .transformToUniAndConcatenate(
                                    line -> store(c, t, oldTenant, line, ids, dataSets, counts))
                                .collect()
                                .last()))
        .invoke(
            () -> {
              JsonNode expected = trailer.path("counts");
              for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (counts.getOrDefault(e.getKey(), 0L) != e.getValue().asLong()) {
                  throw ApiException.badRequest(
                      "the export's trailer counts "
                          + e.getValue()
                          + " "
                          + e.getKey()
                          + " but it holds "
                          + counts.getOrDefault(e.getKey(), 0L));
                }
              }
            })
        .map(ignored -> new Imported(counts));
  }

  private Uni<Void> store(
      SqlClient c,
      ResourceService.Tenant t,
      String oldTenant,
      JsonNode line,
      Map<String, String> ids,
      Set<String> dataSets,
      Map<String, Long> counts) {
    String type = line.path("type").asText();
    switch (type) {
      case "secret" -> {
        SecretRepository.Sealed sealed;
        try {
          sealed =
              new SecretRepository.Sealed(
                  line.path("id").asText(),
                  line.path("key_id").asText(),
                  Base64.getDecoder().decode(line.path("nonce").asText()),
                  Base64.getDecoder().decode(line.path("ciphertext").asText()));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("a secret line's nonce or ciphertext is not base64");
        }
        counts.merge("secrets", 1L, Long::sum);
        return secrets
            .in(c, t.id())
            .put(credentials.reseal(oldTenant, sealed, t.id(), ids.get(sealed.id())));
      }
      case "resource" -> {
        ResourceKind kind = ResourceKind.ofPath(line.path("kind").asText());
        if (kind == null || !line.path("entity").isObject()) {
          throw ApiException.badRequest("a resource line needs a known kind and an entity object");
        }
        String id = ids.getOrDefault(line.path("id").asText(), line.path("id").asText());
        ObjectNode entity = (ObjectNode) remap(line.get("entity").deepCopy(), ids);
        counts.merge(kind.path(), 1L, Long::sum);
        // credentials in clear are sealed; a secret_id must be one of the export's
        return credentials
            .seal(secrets.in(c, t.id()), t.id(), kind, entity)
            .chain(
                () ->
                    transfers.insertResource(
                        c,
                        t.id(),
                        kind,
                        id,
                        entity.toString(),
                        time(line.path("created_at").asText(Instant.now().toString())),
                        line.path("created_by").asText("import"),
                        t.principal()));
      }
      case "record" -> {
        // a record goes only into a data set of this import: never into another tenant's
        String dataSet = ids.get(line.path("data_set_id").asText());
        if (dataSet == null || !dataSets.contains(dataSet)) {
          throw ApiException.badRequest(
              "a record names data set '"
                  + line.path("data_set_id").asText()
                  + "', which the export does not hold");
        }
        if (!line.path("values").isObject()) {
          throw ApiException.badRequest("a record's 'values' must be a JSON object");
        }
        counts.merge("records", 1L, Long::sum);
        return transfers.insertRecord(
            c,
            t.id(),
            dataSet,
            line.path("record_id").asText(),
            time(line.path("ts").asText()),
            (ObjectNode) line.get("values"));
      }
      case "measurement" -> {
        counts.merge("measurements", 1L, Long::sum);
        ObjectNode e = (ObjectNode) remap(line.get("entity").deepCopy(), ids);
        return transfers.insertMeasurement(
            c,
            UUID.randomUUID().toString(),
            t.id(),
            e.path("monitor_instance_id").asText(),
            e.path("monitor_definition_id").asText(),
            e.path("target").path("target_type").asText(),
            e.path("target").path("target_id").asText(),
            e.path("run_id").isTextual() ? e.path("run_id").asText() : null,
            OffsetDateTime.parse(e.path("timestamp").asText()),
            e.path("issue_count").asInt(),
            e.toString());
      }
      default -> throw ApiException.badRequest("unknown line type '" + type + "'");
    }
  }

  /** Replaces every string equal to an old id with its new id, anywhere in the document. */
  static JsonNode remap(JsonNode node, Map<String, String> ids) {
    if (node.isTextual()) {
      String replacement = ids.get(node.asText());
      return replacement == null ? node : TextNode.valueOf(replacement);
    }
    if (node instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        o.set(name, remap(o.get(name), ids));
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, remap(a.get(i), ids));
      }
    }
    return node;
  }

  private static OffsetDateTime time(String iso) {
    return Times.parse("a time in the export", iso);
  }

  private static List<JsonNode> lines(String body) {
    if (body == null || body.isBlank()) {
      throw ApiException.badRequest("the import needs the export's JSON lines as its body");
    }
    List<JsonNode> out = new ArrayList<>();
    int n = 0;
    for (String line : body.split("\n")) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      try {
        out.add(Json.parse(line));
      } catch (ApiException e) {
        throw ApiException.badRequest("line " + n + ": " + e.getMessage());
      }
    }
    if (out.size() < 2) {
      throw ApiException.badRequest("an export has at least a header and a trailer line");
    }
    return out;
  }

  private static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
