package io.vigil.monitoring.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import io.vigil.monitoring.api.Records;
import io.vigil.monitoring.api.StoreStatus;
import io.vigil.monitoring.repository.RecordRepository;
import io.vigil.monitoring.service.RecordQuery;
import io.vigil.monitoring.service.RecordService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Records of a data set: store (202 after commit), store request state, and read. */
@Path("/openscale/{instance}/v2/data_sets/{dataSet}")
@Produces(MediaType.APPLICATION_JSON)
public class RecordResource {

  private final RecordService records;
  private final Caller caller;

  RecordResource(RecordService records, Caller caller) {
    this.records = records;
    this.caller = caller;
  }

  @POST
  @Path("/records")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> store(
      @PathParam("instance") String instance,
      @PathParam("dataSet") String dataSet,
      @HeaderParam("Idempotency-Key") String idempotencyKey,
      String body) {
    JsonNode json = Json.parse(body);
    return records
        .store(caller.tenant(), dataSet, json, idempotencyKey)
        .map(stored -> accepted(instance, dataSet, stored));
  }

  private static Response accepted(String instance, String dataSet, RecordService.Stored stored) {
    return Response.accepted(
            StoreStatus.of("active", stored.requestId(), null, stored.received(), stored.stored()))
        .header(
            "Location",
            "/openscale/"
                + instance
                + "/v2/data_sets/"
                + dataSet
                + "/requests/"
                + stored.requestId())
        .build();
  }

  /** Records as CSV, with the options of IBM's SDK ({@code store_records} with a file). */
  @POST
  @Path("/records")
  @Consumes({"text/csv", "application/csv"})
  public Uni<Response> storeCsv(
      @PathParam("instance") String instance,
      @PathParam("dataSet") String dataSet,
      @HeaderParam("Idempotency-Key") String idempotencyKey,
      @QueryParam("header") Boolean header,
      @QueryParam("skip") Integer skip,
      @QueryParam("limit") Integer limit,
      @QueryParam("delimiter") String delimiter,
      @QueryParam("on_error") String onError,
      @QueryParam("csv_max_line_length") Double maxLine,
      String body) {
    io.vigil.monitoring.service.CsvRecords.Options options =
        io.vigil.monitoring.service.CsvRecords.Options.of(
            header, skip, limit, delimiter, onError, maxLine);
    return records
        .storeCsv(caller.tenant(), dataSet, body, options, idempotencyKey)
        .map(stored -> accepted(instance, dataSet, stored));
  }

  @GET
  @Path("/requests/{request}")
  public Uni<StoreStatus> request(
      @PathParam("dataSet") String dataSet, @PathParam("request") String request) {
    return records
        .request(caller.tenant(), dataSet, request)
        .map(r -> StoreStatus.of(r.state(), r.id(), r.createdAt(), r.received(), r.stored()));
  }

  @GET
  @Path("/records")
  public Uni<Records.Page> read(
      @PathParam("dataSet") String dataSet,
      @QueryParam("limit") Integer limit,
      @QueryParam("offset") Integer offset,
      @QueryParam("start") String start,
      @QueryParam("end") String end,
      @QueryParam("include_total_count") @DefaultValue("false") boolean includeTotal,
      @QueryParam("format") @DefaultValue("dict") String format,
      @QueryParam("filter") String filter) {
    if (!format.equals("dict") && !format.equals("list")) {
      throw ApiException.badRequest("'format' must be dict or list");
    }
    RecordQuery query = new RecordQuery(3).window(start, end).filter(filter);
    return records
        .read(
            caller.tenant(),
            dataSet,
            query,
            RecordQuery.limit(limit),
            RecordQuery.offset(offset),
            includeTotal)
        .map(page -> format.equals("dict") ? (Records.Page) dict(page) : table(page));
  }

  /** One record, in the shape of a list item. */
  @GET
  @Path("/records/{record}")
  public Uni<Records.Item> one(
      @PathParam("dataSet") String dataSet, @PathParam("record") String record) {
    return records.one(caller.tenant(), dataSet, record).map(RecordResource::item);
  }

  /** Late labels on one record: a JSON Patch of its entity ({@code /values/<field>}). */
  @PATCH
  @Path("/records/{record}")
  @Consumes({MediaType.APPLICATION_JSON, "application/json-patch+json"})
  public Uni<Records.Item> patchOne(
      @PathParam("dataSet") String dataSet, @PathParam("record") String record, String body) {
    JsonNode patch = Json.parse(body);
    if (!patch.isArray() || patch.isEmpty()) {
      throw ApiException.badRequest("a PATCH body is a non-empty JSON Patch array");
    }
    return records
        .patch(caller.tenant(), dataSet, java.util.Map.of(record, (ArrayNode) patch))
        .map(changed -> item(changed.get(0)));
  }

  /**
   * Late labels on many records in one transaction: JSON Patch operations whose paths start with
   * the record id ({@code /<record_id>/values/<field>}). Answers a {@code Status}, as IBM's SDK
   * parses it.
   */
  @PATCH
  @Path("/records")
  @Consumes({MediaType.APPLICATION_JSON, "application/json-patch+json"})
  public Uni<Records.Updated> patchMany(@PathParam("dataSet") String dataSet, String body) {
    JsonNode patch = Json.parse(body);
    if (!patch.isArray() || patch.isEmpty()) {
      throw ApiException.badRequest("a PATCH body is a non-empty JSON Patch array");
    }
    java.util.Map<String, ArrayNode> byRecord = new java.util.LinkedHashMap<>();
    for (JsonNode op : patch) {
      String path = op.path("path").asText("");
      int second = path.indexOf('/', 1);
      if (!path.startsWith("/") || second < 2) {
        throw ApiException.badRequest(
            "bulk record patch paths are /<record_id>/values/<field>, not '" + path + "'");
      }
      String id = path.substring(1, second).replace("~1", "/").replace("~0", "~");
      ObjectNode relative = op.deepCopy();
      relative.put("path", path.substring(second));
      byRecord.computeIfAbsent(id, k -> JsonNodeFactory.instance.arrayNode()).add(relative);
    }
    return records
        .patch(caller.tenant(), dataSet, byRecord)
        .map(changed -> new Records.Updated("active", changed.size()));
  }

  private static Records.Item item(RecordRepository.Stored r) {
    return new Records.Item(
        new Records.Meta(r.recordId(), r.timestamp()), new Records.Values(r.values()));
  }

  private static Records.Dicts dict(RecordService.Page page) {
    return new Records.Dicts(
        page.records().stream().map(RecordResource::item).toList(), page.total());
  }

  private static Records.Tables table(RecordService.Page page) {
    Set<String> fields = new LinkedHashSet<>();
    List<JsonNode> rows = new ArrayList<>();
    for (RecordRepository.Stored r : page.records()) {
      JsonNode values = parse(r.values());
      values.fieldNames().forEachRemaining(fields::add);
      rows.add(values);
    }
    List<List<JsonNode>> values = new ArrayList<>();
    for (JsonNode row : rows) {
      List<JsonNode> cells = new ArrayList<>(fields.size());
      for (String name : fields) {
        cells.add(row.has(name) ? row.get(name) : NullNode.instance);
      }
      values.add(cells);
    }
    List<String> ids = page.records().stream().map(RecordRepository.Stored::recordId).toList();
    return new Records.Tables(
        List.of(new Records.Table(List.copyOf(fields), values, ids)), page.total());
  }

  private static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
