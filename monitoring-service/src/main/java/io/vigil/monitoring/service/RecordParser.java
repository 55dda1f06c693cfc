package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Times;
import io.vigil.monitoring.repository.RecordRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Turns a records body into rows: the payload format ({@code scoring_id}, {@code request} and
 * {@code response} with {@code fields}/{@code values}) for payload data sets, and plain row objects
 * or {@code fields}/{@code values} blocks for the others. Any error rejects the whole body with a
 * message naming the record, so nothing of a bad body is stored.
 */
public final class RecordParser {

  private RecordParser() {}

  /**
   * @param type the data set's type
   * @param body the parsed body
   * @param idField field whose value identifies a feedback/training row (transaction id), or null
   * @param idempotencyKey the request's Idempotency-Key, used for rows without an id, or null
   * @param now the time given to rows without one
   */
  public static List<RecordRow> parse(
      String type, JsonNode body, String idField, String idempotencyKey, Instant now) {
    JsonNode records = body.isArray() ? body : null;
    if (records == null && body.isObject() && body.has("fields")) {
      records = JsonNodeFactory.instance.arrayNode().add(body);
    }
    if (records == null) {
      throw ApiException.badRequest("the body must be a JSON array of records");
    }
    if (records.isEmpty()) {
      throw ApiException.badRequest("the body holds no records");
    }
    List<RecordRow> rows = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      JsonNode r = records.get(i);
      String where = "record " + i;
      if (!r.isObject()) {
        throw ApiException.badRequest(where + " is not a JSON object");
      }
      if (type.equals("payload_logging")) {
        payload(r, where, i, idempotencyKey, now, rows);
      } else if (r.has("fields") && r.has("values")) {
        ObjectNode[] block = block(r, where);
        for (int j = 0; j < block.length; j++) {
          rows.add(row(block[j], idField, idempotencyKey, i + "." + j, now, null));
        }
      } else {
        ObjectNode values = ((ObjectNode) r).deepCopy();
        rows.add(row(values, idField, idempotencyKey, Integer.toString(i), now, null));
      }
    }
    Set<String> seen = new HashSet<>();
    for (RecordRow row : rows) {
      if (!seen.add(row.recordId())) {
        throw ApiException.badRequest(
            "record id '" + row.recordId() + "' appears twice in the body");
      }
    }
    return rows;
  }

  private static void payload(
      JsonNode r,
      String where,
      int index,
      String idempotencyKey,
      Instant now,
      List<RecordRow> rows) {
    JsonNode scoringId = r.get("scoring_id");
    if (scoringId != null
        && !scoringId.isNull()
        && (!scoringId.isTextual() || scoringId.asText().isBlank())) {
      throw ApiException.badRequest(where + ": 'scoring_id' must be a non-empty string");
    }
    Instant ts = timestamp(r.get("scoring_timestamp"), where + ": scoring_timestamp", now);
    if (!r.has("request") || !r.has("response")) {
      throw ApiException.badRequest(where + ": a payload record needs 'request' and 'response'");
    }
    ObjectNode[] request = block(r.get("request"), where + " request");
    ObjectNode[] response = block(r.get("response"), where + " response");
    if (request.length != response.length) {
      throw ApiException.badRequest(
          where
              + ": 'request' has "
              + request.length
              + " rows but 'response' has "
              + response.length);
    }
    String base =
        scoringId != null && !scoringId.isNull()
            ? scoringId.asText()
            : idempotencyKey != null ? idempotencyKey + "/" + index : UUID.randomUUID().toString();
    for (int j = 0; j < request.length; j++) {
      ObjectNode values = request[j];
      values.setAll(response[j]);
      values.put("scoring_id", base);
      if (r.has("response_time") && r.get("response_time").isNumber()) {
        values.set("response_time", r.get("response_time"));
      }
      String id = request.length == 1 ? base : base + "-" + j;
      rows.add(new RecordRow(id, ts, values));
    }
  }

  private static RecordRow row(
      ObjectNode values,
      String idField,
      String idempotencyKey,
      String position,
      Instant now,
      String id) {
    String recordId = id;
    if (recordId == null && idField != null && values.hasNonNull(idField)) {
      recordId = values.get(idField).asText();
    }
    if (recordId == null && values.hasNonNull("scoring_id")) {
      recordId = values.get("scoring_id").asText();
    }
    if (recordId == null) {
      recordId =
          idempotencyKey != null ? idempotencyKey + "/" + position : UUID.randomUUID().toString();
    }
    Instant ts = now;
    for (String f : List.of("timestamp", "scoring_timestamp", "record_timestamp")) {
      if (values.hasNonNull(f)) {
        ts = timestamp(values.get(f), "record " + position, now);
        break;
      }
    }
    return new RecordRow(recordId, ts, values);
  }

  /** A {@code {fields, values}} block as one object per row. */
  static ObjectNode[] block(JsonNode block, String where) {
    JsonNode fields = block.get("fields");
    JsonNode values = block.get("values");
    if (fields == null || !fields.isArray() || fields.isEmpty()) {
      throw ApiException.badRequest(where + ": 'fields' must be a non-empty array of field names");
    }
    if (values == null || !values.isArray()) {
      throw ApiException.badRequest(where + ": 'values' must be an array of rows");
    }
    Set<String> names = new HashSet<>();
    for (JsonNode f : fields) {
      if (!f.isTextual() || !names.add(f.asText())) {
        throw ApiException.badRequest(where + ": 'fields' must hold distinct field names");
      }
    }
    ObjectNode[] rows = new ObjectNode[values.size()];
    for (int i = 0; i < values.size(); i++) {
      JsonNode v = values.get(i);
      if (!v.isArray() || v.size() != fields.size()) {
        throw ApiException.badRequest(
            where
                + ": row "
                + i
                + " has "
                + (v.isArray() ? v.size() : "no")
                + " values but there are "
                + fields.size()
                + " fields");
      }
      ObjectNode row = JsonNodeFactory.instance.objectNode();
      for (int k = 0; k < fields.size(); k++) {
        row.set(fields.get(k).asText(), v.get(k));
      }
      rows[i] = row;
    }
    return rows;
  }

  private static Instant timestamp(JsonNode node, String where, Instant fallback) {
    if (node == null || node.isNull()) {
      return fallback;
    }
    return Times.parse(where, node.asText()).toInstant();
  }
}
