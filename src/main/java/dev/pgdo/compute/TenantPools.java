package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.pgdo.bus.Addresses;
import dev.pgdo.config.AppConfig;
import dev.pgdo.tenant.PgTargets;
import dev.pgdo.tenant.TenantRestrictions;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.PoolOptions;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * The tenant pools of one compute member, bounded in count and evicted when idle or least
 * recently used (Caffeine's size-based policy). Evicted pools close once their in-flight
 * statements finish. Confined to the member's event loop.
 */
final class TenantPools {

  private final Vertx vertx;
  private final PgTargets targets;
  private final AppConfig.Compute settings;
  private final ConnectionBudget budget;
  private final int maxWaiting;
  private final Cache<String, TenantPool> pools;
  private final TenantRestrictions restrictions;
  private long evictions;
  private boolean closedAll;

  TenantPools(Vertx vertx, PgTargets targets, AppConfig.Compute settings, ConnectionBudget budget, int maxWaiting) {
    this.vertx = vertx;
    this.targets = targets;
    this.settings = settings;
    this.budget = budget;
    this.maxWaiting = maxWaiting;
    this.restrictions = TenantRestrictions.of(vertx);
    this.pools = Caffeine.newBuilder()
        .maximumSize(settings.maxTenantsPerMember())
        .expireAfterAccess(Duration.ofMillis(settings.tenantIdleMs()))
        .executor(Runnable::run) // removal runs here, on the member's event loop
        .removalListener((String tenant, TenantPool pool, RemovalCause cause) -> {
          if (cause.wasEvicted()) {
            evictions++;
          }
          if (pool != null) {
            pool.retire();
          }
        })
        .build();
  }

  /** The tenant's pool, created (without connecting yet) if absent. */
  TenantPool get(String tenant) {
    return pools.get(tenant, this::create);
  }

  void evict(String tenant) {
    pools.invalidate(tenant);
  }

  Collection<TenantPool> all() {
    return pools.asMap().values();
  }

  long evictions() {
    return evictions;
  }

  /**
   * Frees budget permits for a tenant waiting on this node when no idle pool was left for the
   * budget to reclaim ({@link Addresses#BUDGET_PRESSURE}): the pool here of a tenant holding
   * more than its fair share, if any, retires; its queued statements fail with no_compute, its
   * running ones finish, then it closes and its permits go to the tenants waiting.
   */
  void relievePressure(String waitingTenant) {
    pools.asMap().values().stream()
        .filter(pool -> !pool.tenant().equals(waitingTenant) && pool.permits() > 0 && budget.overShare(pool.tenant()))
        .max(Comparator.comparingInt(TenantPool::permits))
        .ifPresent(pool -> {
          pool.shedWaiting();
          evict(pool);
        });
  }

  /** Drops this very pool (not a newer one of its tenant), which retires it. */
  private void evict(TenantPool pool) {
    if (pools.asMap().remove(pool.tenant(), pool)) {
      evictions++;
    }
  }

  /** Applies pending idle expirations; called from the keep-warm timer. */
  void cleanUp() {
    pools.cleanUp();
  }

  void closeAll() {
    closedAll = true;
    pools.invalidateAll();
  }

  /** True once {@link #closeAll} ran: the member stops, and no pool should be opened again. */
  boolean closedAll() {
    return closedAll;
  }

  private TenantPool create(String tenant) {
    PoolOptions options = new PoolOptions()
        .setMaxSize(settings.connectionsPerTenant())
        .setMaxWaitQueueSize(maxWaiting)
        .setConnectionTimeout(settings.connectTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    PgConnectOptions connect = targets.tenant(tenant)
        .setPreparedStatementCacheSqlFilter(StatementCachePolicy::cacheable);
    return new TenantPool(tenant, connect.getUser(),
        PgBuilder.pool().with(options).connectingTo(connect).using(vertx)
            // each new connection gets its wire tap, then goes to the pool (close() hands it over)
            .withConnectHandler(conn -> {
              WireTap.install(conn, () -> PgConnection.cast(conn).cancelRequest());
              conn.close();
            })
            .build(),
        vertx, budget, restrictions, settings.connectionsPerTenant(), maxWaiting, settings.connectTimeoutMs(),
        () -> vertx.eventBus().publish(Addresses.BUDGET_PRESSURE, tenant),
        this::evict);
  }
}
