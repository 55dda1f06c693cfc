package io.vigil.monitoring.service;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Json;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * Records sent as CSV ({@code Content-Type: text/csv}, as IBM's SDK sends a file): RFC 4180 fields
 * (quotes, doubled quotes, delimiters and line breaks inside quotes), one record per row, named by
 * the header line or, without one, by the data set's schema. Numbers become numbers, empty fields
 * null, the rest text. The SDK's options: {@code header} (absent: detected — a first line of
 * distinct non-numeric names is a header), {@code skip} rows after it, {@code limit} rows, {@code
 * delimiter}, {@code on_error} ({@code stop}: a bad row refuses the whole body; {@code continue}:
 * it is left out and counted), {@code csv_max_line_length} in bytes.
 */
public final class CsvRecords {

  /** The SDK's options. */
  public record Options(
      Boolean header, int skip, Integer limit, char delimiter, boolean stopOnError, long maxLine) {

    /** Options from the query parameters, each checked. */
    public static Options of(
        Boolean header,
        Integer skip,
        Integer limit,
        String delimiter,
        String onError,
        Double maxLine) {
      if (skip != null && skip < 0 || limit != null && limit < 1) {
        throw ApiException.badRequest("'skip' must be 0 or more and 'limit' 1 or more");
      }
      if (delimiter != null && delimiter.length() != 1) {
        throw ApiException.badRequest("'delimiter' must be one character");
      }
      if (onError != null && !onError.equals("stop") && !onError.equals("continue")) {
        throw ApiException.badRequest("'on_error' must be stop or continue");
      }
      if (maxLine != null && maxLine < 1) {
        throw ApiException.badRequest("'csv_max_line_length' must be positive");
      }
      return new Options(
          header,
          skip == null ? 0 : skip,
          limit,
          delimiter == null ? ',' : delimiter.charAt(0),
          !"continue".equals(onError),
          maxLine == null ? 10L * 1024 * 1024 : maxLine.longValue());
    }
  }

  /** The records, and the rows left out with {@code on_error=continue}. */
  public record Parsed(ArrayNode records, int rejected) {}

  private CsvRecords() {}

  /**
   * Parses a CSV body.
   *
   * @param schemaFields the data set's field names, for a body without a header
   */
  public static Parsed parse(String body, Options o, List<String> schemaFields) {
    List<List<String>> rows = rows(body, o);
    if (rows.isEmpty()) {
      throw ApiException.badRequest("the CSV body holds no row");
    }
    boolean header = o.header() != null ? o.header() : looksLikeHeader(rows.get(0));
    List<String> names = header ? rows.get(0) : schemaFields;
    if (names.isEmpty()) {
      throw ApiException.badRequest(
          "the CSV has no header line and the data set's schema names no field; send a header");
    }
    if (header && new HashSet<>(names).size() != names.size()) {
      throw ApiException.badRequest("the CSV header names a field twice");
    }
    ArrayNode records = Json.MAPPER.createArrayNode();
    int rejected = 0;
    int first = (header ? 1 : 0) + o.skip();
    for (int i = first; i < rows.size(); i++) {
      if (o.limit() != null && i - first >= o.limit()) {
        break;
      }
      List<String> row = rows.get(i);
      if (row.size() != names.size()) {
        if (o.stopOnError()) {
          throw ApiException.badRequest(
              "CSV row "
                  + (i + 1)
                  + " has "
                  + row.size()
                  + " fields, the header "
                  + names.size()
                  + "; nothing was stored (on_error=continue leaves such rows out)");
        }
        rejected++;
        continue;
      }
      ObjectNode r = records.addObject();
      for (int c = 0; c < names.size(); c++) {
        put(r, names.get(c), row.get(c));
      }
    }
    return new Parsed(records, rejected);
  }

  private static void put(ObjectNode r, String name, String value) {
    if (value == null || value.isEmpty()) {
      r.putNull(name);
    } else if (value.matches("-?(0|[1-9][0-9]{0,17})")) {
      r.put(name, Long.parseLong(value));
    } else if (value.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
      r.put(name, new BigDecimal(value).doubleValue());
    } else {
      r.put(name, value);
    }
  }

  private static boolean looksLikeHeader(List<String> first) {
    if (new HashSet<>(first).size() != first.size()) {
      return false;
    }
    for (String cell : first) {
      if (cell == null || cell.isBlank() || cell.matches("-?[0-9.eE+-]+")) {
        return false;
      }
    }
    return true;
  }

  /** RFC 4180 rows; a quoted field may hold the delimiter, doubled quotes and line breaks. */
  private static List<List<String>> rows(String body, Options o) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    long lineStart = 0;
    int line = 1;
    for (int i = 0; i < body.length(); i++) {
      char ch = body.charAt(i);
      if (quoted) {
        if (ch == '"') {
          if (i + 1 < body.length() && body.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          field.append(ch);
        }
        continue;
      }
      if (ch == '"' && field.length() == 0 && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else if (ch == o.delimiter()) {
        row.add(field.toString());
        field.setLength(0);
        wasQuoted = false;
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && i + 1 < body.length() && body.charAt(i + 1) == '\n') {
          i++;
        }
        if (i - lineStart > o.maxLine()) {
          throw ApiException.badRequest(
              "CSV line " + line + " is longer than csv_max_line_length (" + o.maxLine() + ")");
        }
        row.add(field.toString());
        if (!(row.size() == 1 && row.get(0).isEmpty() && !wasQuoted)) {
          rows.add(row);
        }
        row = new ArrayList<>();
        field.setLength(0);
        wasQuoted = false;
        lineStart = i + 1;
        line++;
      } else {
        field.append(ch);
      }
    }
    if (quoted) {
      throw ApiException.badRequest("the CSV body ends inside a quoted field");
    }
    if (field.length() > 0 || !row.isEmpty() || wasQuoted) {
      if (body.length() - lineStart > o.maxLine()) {
        throw ApiException.badRequest(
            "CSV line " + line + " is longer than csv_max_line_length (" + o.maxLine() + ")");
      }
      row.add(field.toString());
      rows.add(row);
    }
    return rows;
  }
}
