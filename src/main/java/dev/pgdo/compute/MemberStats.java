package dev.pgdo.compute;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * What one compute member has done: counters for {@code /v1/status} and the same numbers as
 * Micrometer meters for {@code /metrics}. Labels are bounded: region and member index only.
 *
 * <p>Updated on the member's event loop; gauges read volatile fields from the scrape thread.
 */
final class MemberStats {

  private final Timer okLatency;
  private final Timer errorLatency;
  private final Counter warmHits;
  private final Counter warmMisses;
  private final Counter keepWarmOk;
  private final Counter keepWarmFailed;

  private final MeterRegistry registry;
  private final java.util.List<io.micrometer.core.instrument.Meter> gauges = new java.util.ArrayList<>();
  private long requestCount;
  /** Epoch milliseconds, 0 for never: a clock read per query, an Instant only for the status. */
  private long lastActivity;
  private long lastKeepWarm;
  private volatile int connections;
  private volatile int warmTenants;

  MemberStats(MeterRegistry registry, String region, int index) {
    this.registry = registry;
    String member = Integer.toString(index);
    okLatency = queryTimer(registry, region, member, "ok");
    errorLatency = queryTimer(registry, region, member, "error");
    warmHits = Counter.builder("pgdo.warm").tag("region", region).tag("member", member).tag("result", "hit")
        .description("Queries that found an open connection for their tenant").register(registry);
    warmMisses = Counter.builder("pgdo.warm").tag("region", region).tag("member", member).tag("result", "miss")
        .description("Queries that had to open a connection first").register(registry);
    keepWarmOk = Counter.builder("pgdo.keepwarm.pings").tag("region", region).tag("member", member)
        .tag("result", "ok").register(registry);
    keepWarmFailed = Counter.builder("pgdo.keepwarm.pings").tag("region", region).tag("member", member)
        .tag("result", "failed").register(registry);
    gauges.add(Gauge.builder("pgdo.member.connections", this, s -> s.connections).tag("region", region)
        .tag("member", member).description("Open tenant connections held by the member").register(registry));
    gauges.add(Gauge.builder("pgdo.member.warm.tenants", this, s -> s.warmTenants).tag("region", region)
        .tag("member", member).register(registry));
  }

  /**
   * Removes the gauges, which read this instance: a member deployed again at the same address
   * (after a hand-over) registers fresh ones. Counters and timers stay and keep counting.
   */
  void close() {
    gauges.forEach(registry::remove);
  }

  private static Timer queryTimer(MeterRegistry registry, String region, String member, String outcome) {
    return Timer.builder("pgdo.query")
        .description("Query time inside the compute member, from dispatch to result")
        .tag("region", region).tag("member", member).tag("outcome", outcome)
        .publishPercentiles(0.5, 0.95, 0.99)
        .publishPercentileHistogram()
        .register(registry);
  }

  void recordQuery(boolean warm, boolean ok, long nanos) {
    requestCount++;
    lastActivity = System.currentTimeMillis();
    (warm ? warmHits : warmMisses).increment();
    (ok ? okLatency : errorLatency).record(nanos, TimeUnit.NANOSECONDS);
  }

  void recordKeepWarm(int ok, int failed) {
    keepWarmOk.increment(ok);
    keepWarmFailed.increment(failed);
    lastKeepWarm = System.currentTimeMillis();
  }

  void recordPools(int connections, int warmTenants) {
    this.connections = connections;
    this.warmTenants = warmTenants;
  }

  /** The member fields of {@code /v1/status}, minus address, node and state. */
  JsonObject toJson() {
    JsonObject latency = new JsonObject().put("p50", null).put("p95", null).put("p99", null);
    if (okLatency.count() > 0) {
      for (ValueAtPercentile p : okLatency.takeSnapshot().percentileValues()) {
        String key = "p" + Math.round(p.percentile() * 100);
        latency.put(key, Math.round(p.value(TimeUnit.MILLISECONDS) * 1000) / 1000.0);
      }
    }
    double hits = warmHits.count();
    double total = hits + warmMisses.count();
    return new JsonObject()
        .put("requestCount", requestCount)
        .put("lastActivity", iso(lastActivity))
        .put("lastKeepWarm", iso(lastKeepWarm))
        .put("latencyMs", latency)
        .put("connections", connections)
        .put("warmTenants", warmTenants)
        .put("warmHits", (long) hits)
        .put("warmMisses", (long) (total - hits))
        .put("warmHitRate", total == 0 ? null : hits / total)
        .put("keepWarmPings", (long) keepWarmOk.count())
        .put("keepWarmFailures", (long) keepWarmFailed.count());
  }

  private static String iso(long epochMillis) {
    return epochMillis == 0 ? null : Instant.ofEpochMilli(epochMillis).toString();
  }
}
