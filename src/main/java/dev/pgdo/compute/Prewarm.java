package dev.pgdo.compute;

import dev.pgdo.routing.Rendezvous;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * Makes a new member warm before its tenants ask: it opens connections for the tenants the
 * previous host of its address kept warm, then for the newest tenants that rendezvous hashing
 * gives it. The member is warm once this has run against a database that answers; until then
 * every keep-warm tick tries again. A ping skipped because the node's connection budget is full
 * (more tenants in the registry than connections: other members pre-warmed first) is no failure:
 * the member is then warm without it, and its tenants' first queries reclaim idle connections.
 * Not thread-safe: the member's event loop.
 */
final class Prewarm {

  private static final Logger log = LoggerFactory.getLogger(Prewarm.class);

  private final String address;
  private final int index;
  private final int poolSize;
  private final int prewarmTenants;
  private final TenantStore tenants;
  private final TenantPools pools;
  private final RecentTenants recent;
  private final KeepWarm keepWarm;
  private boolean warm;
  private boolean running;

  Prewarm(String address, int index, int poolSize, int prewarmTenants, TenantStore tenants, TenantPools pools,
          RecentTenants recent, KeepWarm keepWarm) {
    this.address = address;
    this.index = index;
    this.poolSize = poolSize;
    this.prewarmTenants = prewarmTenants;
    this.tenants = tenants;
    this.pools = pools;
    this.recent = recent;
    this.keepWarm = keepWarm;
  }

  boolean warm() {
    return warm;
  }

  /** The periodic tick: a keep-warm round once warm, else another pre-warm attempt (database down?). */
  void tick() {
    if (warm) {
      keepWarm.round();
    } else {
      run();
    }
  }

  /** One pre-warm attempt; skipped while one is running. Never throws. */
  void run() {
    if (running) {
      return;
    }
    running = true;
    Future<JsonArray> handedOver = recent.handedOver();
    // Fetch more than our share: rendezvous hashing spreads the recent tenants over the whole pool.
    Future<List<String>> newest = Future.succeededFuture()
        .compose(v -> tenants.recentTenants(Math.max(1, prewarmTenants * poolSize * 2)));
    Future.all(handedOver, newest)
        .compose(both -> {
          // First the tenants the previous host of this address kept warm, then new winners.
          LinkedHashSet<String> candidates = new LinkedHashSet<>();
          handedOver.result().forEach(t -> candidates.add(String.valueOf(t)));
          newest.result().stream().filter(t -> Rendezvous.winner(t, poolSize) == index).forEach(candidates::add);
          List<String> mine = candidates.stream().limit(prewarmTenants).toList();
          mine.forEach(pools::get);
          return keepWarm.round().map(v -> {
            // warm once the database answered: the tenant list came from it, and a ping of a
            // pre-warmed tenant (if any) succeeded or none failed (all skipped: budget full)
            warm = mine.isEmpty() || keepWarm.lastRoundOk() > 0 || keepWarm.lastRoundFailed() == 0;
            log.debug("{} warm={} with {} pre-warmed tenants", address, warm, mine.size());
            return null;
          });
        })
        .onComplete(done -> {
          running = false;
          if (done.failed()) {
            log.warn("{}: pre-warm failed, retrying at the next keep-warm: {}", address, done.cause().getMessage());
          }
        });
  }
}
