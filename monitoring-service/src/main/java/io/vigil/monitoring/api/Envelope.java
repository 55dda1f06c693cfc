package io.vigil.monitoring.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The {@code {metadata, entity}} envelope of every v2 resource, run and measurement.
 *
 * @param metadata the server's fields: id, url, times, who
 * @param entity what the resource is
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Envelope<E>(Metadata metadata, E entity) {}
