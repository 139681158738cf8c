package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps each tenant's in-flight queries on this node ({@code limits.tenantConcurrency}). Entries
 * exist only while a tenant has queries in flight, so the map is bounded by in-flight work.
 * Thread-safe: shared by all web verticle instances of the node.
 */
public final class TenantLimiter {

  private final int limit;
  private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

  public TenantLimiter(int limit) {
    this.limit = limit;
  }

  /** @throws PgdoException {@code too_many_requests} when the tenant is at its limit */
  public void acquire(String tenant) {
    boolean[] admitted = new boolean[1];
    inFlight.compute(tenant, (t, count) -> {
      int current = count == null ? 0 : count;
      admitted[0] = current < limit;
      return admitted[0] ? current + 1 : count;
    });
    if (!admitted[0]) {
      throw new PgdoException(ErrorCode.TOO_MANY_REQUESTS,
          "the tenant has " + limit + " queries in flight on this node; retry later");
    }
  }

  public void release(String tenant) {
    inFlight.computeIfPresent(tenant, (t, count) -> count <= 1 ? null : count - 1);
  }
}
