package io.vigil.monitoring.repository;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One stored record row: its id (unique in the data set), time and field values.
 *
 * @param recordId the scoring id (payload) or record id (feedback)
 * @param timestamp when it was scored or labelled
 * @param values its fields
 */
public record RecordRow(String recordId, Instant timestamp, ObjectNode values) {}
