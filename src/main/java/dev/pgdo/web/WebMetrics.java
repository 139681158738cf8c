package dev.pgdo.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The front door's own meters, with bounded labels only: requests by colo (the configured colos,
 * plus {@code other} and {@code none}), region fall-backs by from/to region, errors by code.
 * Also keeps this node's traffic by colo for {@code /v1/status}. Thread-safe: one per node,
 * shared by its web verticle instances.
 */
public final class WebMetrics {

  private final MeterRegistry registry;
  private final Set<String> knownColos;
  private final Map<String, Counter> byColo = new ConcurrentHashMap<>();

  public WebMetrics(MeterRegistry registry, Set<String> knownColos) {
    this.registry = registry;
    this.knownColos = knownColos;
  }

  /** @param colo the detected colo, or null */
  void request(String colo) {
    String label = colo == null ? "none" : knownColos.contains(colo) ? colo : "other";
    byColo.computeIfAbsent(label, l -> Counter.builder("pgdo.requests").tag("colo", l)
        .description("Queries received, by edge colo").register(registry)).increment();
  }

  /** A request from a region without a pool of its own, served by another region's pool. */
  void fallback(String from, String to) {
    registry.counter("pgdo.fallbacks", "from", from, "to", to).increment();
  }

  void error(String code) {
    registry.counter("pgdo.errors", "code", code).increment();
  }

  /** Queries received by this node since it started, by colo label. */
  Map<String, Long> coloTraffic() {
    Map<String, Long> traffic = new java.util.TreeMap<>();
    byColo.forEach((colo, counter) -> traffic.put(colo, (long) counter.count()));
    return traffic;
  }
}
