package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
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
   * Admits a request of the tenant whose role is {@code role}: refuses it while the lock guard's
   * penalty runs; over its disk quota, refuses a statement that may grow the database, and runs
   * a request of reads in a read-only transaction, so that a function or a DO block called by a
   * SELECT cannot write either (PostgreSQL then refuses any write, 25006).
   *
   * @return {@code request}, or its read-only form
   * @throws PgdoException {@code resource_limit} (429), with {@code resource} {@code "locks"} or {@code "disk"}
   */
  public QueryRequest admit(String role, QueryRequest request) {
    PgdoException penalty = lockPenalty(role);
    if (penalty != null) {
      throw penalty;
    }
    if (!overQuota.containsKey(role)) {
      return request;
    }
    List<String> statements = request.statements().stream().map(QueryRequest.Statement::sql).toList();
    return switch (QuotaStatements.overQuota(statements)) {
      case AS_SENT -> request;
      case READ_ONLY -> request.asReadOnly();
      case REFUSED -> throw new PgdoException(ErrorCode.RESOURCE_LIMIT, "the tenant's database is over its disk "
          + "quota; SELECT, DELETE, TRUNCATE, DROP and VACUUM still work", new JsonObject().put("resource", "disk"));
    };
  }

  /**
   * The lock guard's refusal while its penalty on {@code role} runs, else null. Also what a
   * request answers that failed because the guard ended its session (cancelled or terminated).
   */
  public PgdoException lockPenalty(String role) {
    Long until = lockPenalties.get(role);
    if (until == null) {
      return null;
    }
    long left = until - System.currentTimeMillis();
    if (left <= 0) {
      lockPenalties.remove(role, until);
      return null;
    }
    return new PgdoException(ErrorCode.RESOURCE_LIMIT, "the tenant held more locks than its share of "
        + "PostgreSQL's lock table; its sessions were ended, retry later",
        new JsonObject().put("resource", "locks").put(RETRY, Math.max(1, (left + 999) / 1000)));
  }
}
