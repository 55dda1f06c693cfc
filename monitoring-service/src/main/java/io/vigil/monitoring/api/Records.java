package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** The answers of a data set's records: one record, pages of them, and late-label updates. */
public final class Records {

  private Records() {}

  /** A page of records in one of the two formats IBM's SDK reads. */
  public sealed interface Page permits Dicts, Tables {}

  /**
   * One record, as an item of the {@code dict} format.
   *
   * @param metadata its id and time
   * @param entity its values
   */
  @RegisterForReflection
  public record Item(Meta metadata, Values entity) {}

  /**
   * A record's metadata.
   *
   * @param id the record's id
   * @param recordTimestamp its time, ISO-8601, UTC
   */
  @RegisterForReflection
  public record Meta(String id, @JsonProperty("record_timestamp") String recordTimestamp) {}

  /**
   * A record's values as stored: JSON text written out as it is, never parsed to be written again.
   *
   * @param values a JSON object of field values
   */
  @RegisterForReflection
  public record Values(@JsonRawValue String values) {}

  /**
   * A page in the {@code dict} format.
   *
   * @param records the page's records
   * @param totalCount every record that matches (only when asked for)
   */
  @RegisterForReflection
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Dicts(List<Item> records, @JsonProperty("total_count") Long totalCount)
      implements Page {}

  /**
   * A page in the {@code list} format: one table.
   *
   * @param records one table of the page's records
   * @param totalCount every record that matches (only when asked for)
   */
  @RegisterForReflection
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Tables(List<Table> records, @JsonProperty("total_count") Long totalCount)
      implements Page {}

  /**
   * Records as a table: the fields any of them has, a row of values per record (a JSON null where a
   * record lacks a field), and the records' ids in row order.
   *
   * @param fields the column names
   * @param values one row per record
   * @param recordIds the records' ids
   */
  @RegisterForReflection
  public record Table(
      List<String> fields,
      List<List<JsonNode>> values,
      @JsonProperty("record_ids") List<String> recordIds) {}

  /**
   * The answer to late labels on many records (a {@code Status} to IBM's SDK).
   *
   * @param state active
   * @param recordsUpdated how many records changed
   */
  @RegisterForReflection
  public record Updated(String state, @JsonProperty("records_updated") int recordsUpdated) {}
}
