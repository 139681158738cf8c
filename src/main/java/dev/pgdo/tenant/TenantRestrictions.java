package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * What this node knows of tenants the resource guards have restricted, keyed by tenant role
 * name: a lock-table offender until its penalty ends, and tenants over their disk quota. The
 * guards broadcast their findings on the cluster bus ({@link ResourceGuardVerticle}); every node
 * keeps them here, so the members' check on the hot path is two map look-ups, never a query.
 *
 * <p>Node-wide and thread-safe: the state lives in two Vert.x {@link LocalMap}s, shared by every
 * verticle of the node (each member reads them from its own event loop).
 */
public final class TenantRestrictions {

  private static final String LOCK_PENALTIES = "pgdo.restrictions.lock-penalties";
  private static final String OVER_QUOTA = "pgdo.restrictions.over-quota";
  private static final String LAST_MEASUREMENT = "pgdo.restrictions.last-measurement";

  /** Seconds a client should wait before retrying a refused statement. */
  public static final String RETRY = "retryAfterSeconds";

  private final LocalMap<String, Long> lockPenalties;
  private final LocalMap<String, Boolean> overQuota;
  private final LocalMap<String, JsonObject> lastMeasurement;

  private TenantRestrictions(Vertx vertx) {
    this.lockPenalties = vertx.sharedData().getLocalMap(LOCK_PENALTIES);
    this.overQuota = vertx.sharedData().getLocalMap(OVER_QUOTA);
    this.lastMeasurement = vertx.sharedData().getLocalMap(LAST_MEASUREMENT);
  }

  /** The node's restrictions (a view over its shared local maps; cheap to create). */
  public static TenantRestrictions of(Vertx vertx) {
    return new TenantRestrictions(vertx);
  }

  /** The role's statements are refused for {@code penaltyMs} from now (this node's clock). */
  void penaliseLocks(String role, long penaltyMs) {
    lockPenalties.put(role, System.currentTimeMillis() + penaltyMs);
  }

  /** Replaces the set of roles over their disk quota with {@code roles}, and remembers the totals. */
  void replaceOverQuota(Collection<String> roles, JsonObject totals) {
    Set<String> now = new HashSet<>(roles);
    for (String role : Set.copyOf(overQuota.keySet())) {
      if (!now.contains(role)) {
        overQuota.remove(role);
      }
    }
    now.forEach(role -> overQuota.put(role, Boolean.TRUE));
    lastMeasurement.put("totals", totals);
  }

  /** The last disk measurement's totals ({@code tenantBytes}, {@code tenantsOverQuota}, ...), or null. */
  public JsonObject lastMeasurement() {
    return lastMeasurement.get("totals");
  }

  /**
   * Refuses a request of the tenant whose role is {@code role} while the lock guard's penalty
   * runs, or, over its disk quota, a request holding a statement that may grow the database.
   *
   * @throws PgdoException {@code resource_limit} (429), with {@code resource} {@code "locks"} or {@code "disk"}
   */
  public void check(String role, Collection<String> statements) {
    Long until = lockPenalties.get(role);
    if (until != null) {
      long left = until - System.currentTimeMillis();
      if (left > 0) {
        throw new PgdoException(ErrorCode.RESOURCE_LIMIT, "the tenant held more locks than its share of "
            + "PostgreSQL's lock table; its sessions were ended, retry later",
            new JsonObject().put("resource", "locks").put(RETRY, Math.max(1, (left + 999) / 1000)));
      }
      lockPenalties.remove(role, until);
    }
    if (overQuota.containsKey(role)) {
      for (String sql : statements) {
        if (!QuotaStatements.mayRunOverQuota(sql)) {
          throw new PgdoException(ErrorCode.RESOURCE_LIMIT, "the tenant's database is over its disk quota; "
              + "SELECT, DELETE, TRUNCATE, DROP and VACUUM still work",
              new JsonObject().put("resource", "disk"));
        }
      }
    }
  }
}
