/**
 * The OpenScale v2 API's answers as typed records, serialized by Jackson. What has no value is left
 * out, never sent as {@code null}: IBM's SDK fails on a null where it parses an object, a list or a
 * time ({@code SdkContractTest} checks every answer against its rules). Configuration entities stay
 * documents ({@code ObjectNode}): OpenScale's entities are open-ended, and the SDK sends fields
 * Vigil keeps without interpreting them.
 */
package io.vigil.monitoring.api;
