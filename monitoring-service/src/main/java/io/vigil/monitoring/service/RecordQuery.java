package io.vigil.monitoring.service;

import io.vigil.commons.api.ApiException;
import io.vigil.commons.api.Times;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The query parameters of {@code GET records} as a SQL condition over bind parameters: {@code
 * start}/{@code end} on the record time and {@code filter=field:op:value[,field:op:value...]} with
 * ops {@code eq gt gte lt lte like in} ({@code in} takes values separated by {@code ;}).
 */
public final class RecordQuery {

  /** Largest page. */
  public static final int MAX_LIMIT = 1000;

  private final StringBuilder where = new StringBuilder();
  private final List<Object> params = new ArrayList<>();
  private final int firstParam;

  /**
   * @param firstParam number of the first bind parameter this query may use (e.g. 3)
   */
  public RecordQuery(int firstParam) {
    this.firstParam = firstParam;
  }

  /** The condition, starting with {@code " AND "} when there is one. */
  public String where() {
    return where.toString();
  }

  /** Values of the bind parameters, in order. */
  public List<Object> params() {
    return params;
  }

  private String bind(Object value) {
    params.add(value);
    return "$" + (firstParam + params.size() - 1);
  }

  /** Adds the time window. */
  public RecordQuery window(String start, String end) {
    if (start != null) {
      where.append(" AND ts >= ").append(bind(time("start", start)));
    }
    if (end != null) {
      where.append(" AND ts < ").append(bind(time("end", end)));
    }
    return this;
  }

  /** Adds the filters. */
  public RecordQuery filter(String filter) {
    if (filter == null || filter.isBlank()) {
      return this;
    }
    for (String clause : filter.split(",")) {
      String[] parts = clause.split(":", 3);
      if (parts.length != 3 || parts[0].isBlank()) {
        throw ApiException.badRequest("filter '" + clause + "' is not field:op:value");
      }
      String field = bind(parts[0]);
      String value = parts[2];
      switch (parts[1]) {
        case "eq" ->
            where.append(" AND row_values->>").append(field).append(" = ").append(bind(value));
        case "like" ->
            where.append(" AND row_values->>").append(field).append(" LIKE ").append(bind(value));
        case "in" ->
            where
                .append(" AND row_values->>")
                .append(field)
                .append(" = ANY(")
                .append(bind(Arrays.asList(value.split(";")).toArray(String[]::new)))
                .append("::text[])");
        case "gt", "gte", "lt", "lte" -> compare(field, parts[1], value);
        default ->
            throw ApiException.badRequest(
                "filter op '" + parts[1] + "' is not one of eq, gt, gte, lt, lte, like, in");
      }
    }
    return this;
  }

  private void compare(String field, String op, String value) {
    String sqlOp =
        switch (op) {
          case "gt" -> ">";
          case "gte" -> ">=";
          case "lt" -> "<";
          default -> "<=";
        };
    BigDecimal number = number(value);
    if (number != null) {
      where
          .append(" AND CASE WHEN jsonb_typeof(row_values->")
          .append(field)
          .append(") = 'number' THEN (row_values->>")
          .append(field)
          .append(")::numeric ")
          .append(sqlOp)
          .append(' ')
          .append(bind(number))
          .append(" ELSE false END");
    } else {
      where
          .append(" AND row_values->>")
          .append(field)
          .append(' ')
          .append(sqlOp)
          .append(' ')
          .append(bind(value));
    }
  }

  private static BigDecimal number(String value) {
    try {
      return new BigDecimal(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static OffsetDateTime time(String name, String value) {
    return Times.parse(name, value);
  }

  /** Checks and answers a page size. */
  public static int limit(Integer limit) {
    if (limit == null) {
      return 100;
    }
    if (limit < 0 || limit > MAX_LIMIT) {
      throw ApiException.badRequest("'limit' must be between 0 and " + MAX_LIMIT);
    }
    return limit;
  }

  /** Checks and answers an offset. */
  public static int offset(Integer offset) {
    if (offset == null) {
      return 0;
    }
    if (offset < 0) {
      throw ApiException.badRequest("'offset' must not be negative");
    }
    return offset;
  }
}
