package dev.pgdo.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The front door's own meters, with bounded labels only: requests by colo (the configured colos,
 * plus {@code other} and {@code none}) and dialect ({@code v1} or {@code neon}), region
 * fall-backs by from/to region, errors by code.
 * Also keeps this node's traffic by colo for {@code /v1/status}. Thread-safe: one per node,
 * shared by its web verticle instances.
 */
public final class WebMetrics {

  private final MeterRegistry registry;
  private final Set<String> knownColos;
  /** Keyed by colo label, then dialect label: both bounded. */
  private final Map<String, Map<String, Counter>> byColo = new ConcurrentHashMap<>();
  /**
   * Meters resolved once, not looked up in the registry per request. Keyed by "from to" region
   * (configured regions) and by error code (an enum): both bounded.
   */
  private final Map<String, Counter> fallbacks = new ConcurrentHashMap<>();
  private final Map<String, Counter> errors = new ConcurrentHashMap<>();

  public WebMetrics(MeterRegistry registry, Set<String> knownColos) {
    this.registry = registry;
    this.knownColos = knownColos;
  }

  /**
   * @param colo    the detected colo, or null
   * @param dialect the query path's dialect label ({@code v1} or {@code neon})
   */
  void request(String colo, String dialect) {
    String label = colo == null ? "none" : knownColos.contains(colo) ? colo : "other";
    byColo.computeIfAbsent(label, l -> new ConcurrentHashMap<>())
        .computeIfAbsent(dialect, d -> Counter.builder("pgdo.requests").tag("colo", label).tag("dialect", d)
            .description("Queries received, by edge colo and dialect").register(registry))
        .increment();
  }

  /** A request from a region without a pool of its own, served by another region's pool. */
  void fallback(String from, String to) {
    fallbacks.computeIfAbsent(from + " " + to,
        key -> registry.counter("pgdo.fallbacks", "from", from, "to", to)).increment();
  }

  void error(String code) {
    errors.computeIfAbsent(code, c -> registry.counter("pgdo.errors", "code", c)).increment();
  }

  /** Queries received by this node since it started, by colo label. */
  Map<String, Long> coloTraffic() {
    Map<String, Long> traffic = new java.util.TreeMap<>();
    byColo.forEach((colo, byDialect) -> traffic.put(colo,
        byDialect.values().stream().mapToLong(counter -> (long) counter.count()).sum()));
    return traffic;
  }
}
