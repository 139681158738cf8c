package dev.pgdo.compute;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.shareddata.AsyncMap;

/**
 * The tenants a member's host keeps warm, shared cluster-wide ({@code Addresses.RECENT_TENANTS_MAP})
 * so that the next host of the same address pre-warms them. One per member; not thread-safe.
 */
final class RecentTenants {

  private final AsyncMap<String, JsonArray> map;
  private final String address;
  private final TenantPools pools;
  private final int limit;
  private JsonArray lastShared = new JsonArray();

  /** @param limit at most this many tenants are shared ({@code compute.prewarmTenants}) */
  RecentTenants(AsyncMap<String, JsonArray> map, String address, TenantPools pools, int limit) {
    this.map = map;
    this.address = address;
    this.pools = pools;
    this.limit = limit;
  }

  /** The tenants the previous host of this address kept warm; empty when unknown or unreadable. */
  Future<JsonArray> handedOver() {
    return map.get(address).map(list -> list == null ? new JsonArray() : list).otherwise(new JsonArray());
  }

  /** Records the tenants with open connections now; a write only when the list changed. Never fails. */
  Future<Void> share() {
    JsonArray tenantsNow = new JsonArray();
    pools.all().stream().filter(p -> p.connections() > 0).limit(limit).forEach(p -> tenantsNow.add(p.tenant()));
    if (tenantsNow.equals(lastShared)) {
      return Future.succeededFuture();
    }
    lastShared = tenantsNow;
    return map.put(address, tenantsNow).otherwiseEmpty();
  }
}
