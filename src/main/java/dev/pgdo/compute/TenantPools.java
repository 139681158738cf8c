package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.pgdo.bus.Addresses;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.PgTargets;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.PoolOptions;

import java.time.Duration;
import java.util.Collection;
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
  private long evictions;

  TenantPools(Vertx vertx, PgTargets targets, AppConfig.Compute settings, ConnectionBudget budget, int maxWaiting) {
    this.vertx = vertx;
    this.targets = targets;
    this.settings = settings;
    this.budget = budget;
    this.maxWaiting = maxWaiting;
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
   * Closes this member's least recently used idle tenant pool (other than {@code keep}), giving
   * its budget permits back. Every member of the node does this when a statement somewhere on
   * the node waits for the spent connection budget ({@link Addresses#BUDGET_PRESSURE}).
   */
  void evictColdestIdle(String keep) {
    pools.policy().eviction().ifPresent(eviction -> eviction.coldest(settings.maxTenantsPerMember()).values()
        .stream()
        .filter(pool -> !pool.tenant().equals(keep) && pool.idle() && pool.connections() > 0)
        .findFirst()
        .ifPresent(pool -> {
          evictions++;
          pools.invalidate(pool.tenant());
        }));
  }

  /** Applies pending idle expirations; called from the keep-warm timer. */
  void cleanUp() {
    pools.cleanUp();
  }

  void closeAll() {
    pools.invalidateAll();
  }

  private TenantPool create(String tenant) {
    PoolOptions options = new PoolOptions()
        .setMaxSize(settings.connectionsPerTenant())
        .setMaxWaitQueueSize(maxWaiting)
        .setConnectionTimeout(settings.connectTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    PgConnectOptions connectOptions = targets.tenant(tenant)
        .setPreparedStatementCacheSqlFilter(StatementCachePolicy::cacheable);
    return new TenantPool(tenant,
        PgBuilder.pool().with(options).connectingTo(connectOptions).using(vertx)
            // each new connection gets its wire tap, then goes to the pool (close() hands it over)
            .withConnectHandler(conn -> {
              WireTap.install(conn, () -> PgConnection.cast(conn).cancelRequest());
              conn.close();
            })
            .build(),
        vertx, budget, settings.connectionsPerTenant(), maxWaiting, settings.connectTimeoutMs(),
        () -> vertx.eventBus().publish(Addresses.BUDGET_PRESSURE, tenant));
  }
}
