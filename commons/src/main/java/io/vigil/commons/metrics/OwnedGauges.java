package io.vigil.commons.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;

/**
 * Gauges owned by one bean: read through a strong reference to the bean's state and removed from
 * the registry when the bean stops. Micrometer keys meters by name and tags, so a gauge left behind
 * by a stopped application (a test restarts the application in the same JVM) would otherwise be
 * returned to the next one, still reading the old, collected state.
 */
public final class OwnedGauges {

  private final MeterRegistry registry;
  private final List<Gauge> gauges = new CopyOnWriteArrayList<>();

  /**
   * @param registry where the gauges live
   */
  public OwnedGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers a gauge (replacing one a stopped owner left behind). */
  public void gauge(String name, Tags tags, String description, DoubleSupplier value) {
    Gauge stale = registry.find(name).tags(tags).gauge();
    if (stale != null) {
      registry.remove(stale);
    }
    gauges.add(
        Gauge.builder(name, value, DoubleSupplier::getAsDouble)
            .tags(tags)
            .description(description)
            .strongReference(true)
            .register(registry));
  }

  /** Removes every gauge this owner registered. */
  public void close() {
    gauges.forEach(registry::remove);
    gauges.clear();
  }
}
