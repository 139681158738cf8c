package dev.pgdo.compute;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * One member's keep-warm rounds: pings every idle connection with the session reset
 * ({@link TenantPool#SESSION_RESET}; a dead connection is replaced) and tops
 * each tenant up to its warm floor (its recent peak of concurrent statements, at least
 * {@code compute.warmConnectionsPerTenant}; see {@link TenantPool#nextWarmFloor}), so that user
 * queries do not pay for connection set-up or meet a dead connection. Not thread-safe: the member's event loop.
 */
final class KeepWarm {

  private static final Logger log = LoggerFactory.getLogger(KeepWarm.class);

  private final String address;
  private final TenantPools pools;
  private final MemberStats stats;
  private final RecentTenants recent;
  private final int warmConnectionsPerTenant;
  private boolean running;
  private int lastRoundOk;
  private int lastRoundFailed;

  KeepWarm(String address, TenantPools pools, MemberStats stats, RecentTenants recent, int warmConnectionsPerTenant) {
    this.address = address;
    this.pools = pools;
    this.stats = stats;
    this.recent = recent;
    this.warmConnectionsPerTenant = warmConnectionsPerTenant;
  }

  /** Pings that succeeded in the last finished round. */
  int lastRoundOk() {
    return lastRoundOk;
  }

  /** Pings that failed in the last finished round; those skipped because the budget was full do not count. */
  int lastRoundFailed() {
    return lastRoundFailed;
  }

  /** One round; overlapping rounds are skipped so a slow database cannot pile them up. Never fails. */
  Future<Void> round() {
    if (running) {
      return Future.succeededFuture();
    }
    running = true;
    pools.cleanUp();
    List<Future<Boolean>> pings = new ArrayList<>();
    for (TenantPool pool : pools.all()) {
      int idle = pool.connections() - pool.inFlight();
      int toOpen = pool.nextWarmFloor(warmConnectionsPerTenant) - pool.connections();
      for (int i = 0; i < Math.max(idle, toOpen); i++) {
        pings.add(ping(pool));
      }
    }
    return Future.join(pings).eventually(() -> {
      int ok = (int) pings.stream().filter(f -> Boolean.TRUE.equals(f.result())).count();
      int failed = (int) pings.stream().filter(f -> Boolean.FALSE.equals(f.result())).count();
      lastRoundOk = ok;
      lastRoundFailed = failed;
      stats.recordKeepWarm(ok, failed);
      recordPools();
      running = false;
      return recent.share();
    }).transform(done -> Future.succeededFuture());
  }

  /**
   * Opens a new tenant's warm floor of connections now rather than at the next round, each only
   * if a budget permit is free (a ping never waits and never makes the budget reclaim another
   * tenant's connection). Completes once they are open or skipped; never fails.
   */
  Future<Void> warm(TenantPool pool) {
    int toOpen = pool.nextWarmFloor(warmConnectionsPerTenant) - pool.connections();
    List<Future<Boolean>> pings = new ArrayList<>();
    for (int i = 0; i < toOpen; i++) {
      pings.add(ping(pool));
    }
    return Future.join(pings).mapEmpty();
  }

  /** Publishes the member's connection and warm-tenant counts. */
  void recordPools() {
    int connections = 0;
    int warmTenants = 0;
    for (TenantPool pool : pools.all()) {
      connections += pool.connections();
      warmTenants += pool.connections() > 0 ? 1 : 0;
    }
    stats.recordPools(connections, warmTenants);
  }

  /**
   * Pings one connection; a dead one is dropped by the pool, so one retry opens its replacement.
   * True if it answered, false if it failed, null if it was skipped: no permit was free.
   */
  private Future<Boolean> ping(TenantPool pool) {
    return pool.withConnectionNow(conn -> conn.query(TenantPool.SESSION_RESET).execute())
        .recover(err -> PgErrors.isConnectionFailure(err)
            ? pool.withConnectionNow(conn -> conn.query(TenantPool.SESSION_RESET).execute())
            : Future.failedFuture(err))
        .map(rows -> true)
        .otherwise(err -> {
          if (err == TenantPool.NO_PERMIT_NOW) {
            return null;
          }
          log.debug("{}: keep-warm ping for tenant {} failed: {}", address, pool.tenant(), err.getMessage());
          return false;
        });
  }
}
