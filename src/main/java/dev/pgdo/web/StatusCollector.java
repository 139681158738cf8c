package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.Topology;
import dev.pgdo.tenant.TenantRestrictions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks every pool member for its status over the bus, each with a short deadline, so a member
 * that is gone shows as {@code down} instead of stalling the call.
 */
final class StatusCollector {

  private static final long MEMBER_DEADLINE_MS = 1_000;

  private final Vertx vertx;
  private final AppConfig config;
  /** The request rate one member comfortably serves, for pool-size advice (see {@link #advice}). */
  private static final double TARGET_RATE_PER_MEMBER = 200;

  private final NodeState node;
  private final ClusterView view;
  private final WebMetrics metrics;

  StatusCollector(Vertx vertx, AppConfig config, NodeState node, ClusterView view, WebMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.node = node;
    this.view = view;
    this.metrics = metrics;
  }

  /** The {@code /v1/status} document. */
  Future<JsonObject> status() {
    Topology topology = config.topology();
    Map<String, List<Future<JsonObject>>> byRegion = new LinkedHashMap<>();
    List<Future<JsonObject>> all = new ArrayList<>();
    for (Topology.Region region : topology.regions().values()) {
      List<Future<JsonObject>> members = new ArrayList<>();
      for (int i = 0; i < region.poolSize(); i++) {
        members.add(member(region.id(), i));
      }
      byRegion.put(region.id(), members);
      all.addAll(members);
    }
    return Future.join(all).transform(done -> {
      JsonObject regions = new JsonObject();
      long hits = 0;
      long total = 0;
      for (Topology.Region region : topology.regions().values()) {
        JsonArray members = new JsonArray();
        long regionHits = 0;
        long regionTotal = 0;
        for (Future<JsonObject> member : byRegion.get(region.id())) {
          JsonObject m = member.result();
          members.add(m);
          regionHits += m.getLong("warmHits", 0L);
          regionTotal += m.getLong("warmHits", 0L) + m.getLong("warmMisses", 0L);
        }
        hits += regionHits;
        total += regionTotal;
        JsonObject entry = new JsonObject().put("poolSize", region.poolSize()).put("members", members)
            .put("warmHitRate", regionTotal == 0 ? null : (double) regionHits / regionTotal);
        if (region.poolSize() > 0) {
          entry.put("keepWarm", keepWarmCost(members)).put("advice", advice(region, members));
        }
        if (region.servedBy() != null) {
          entry.put("servedBy", topology.poolRegion(region.id()));
        }
        regions.put(region.id(), entry);
      }
      JsonObject self = new JsonObject().put("id", config.nodeId()).put("region", config.nodeRegion())
          .put("startedAt", node.startedAt().toString());
      JsonArray nodes = new JsonArray();
      // a leaving node still serves until it exits: API.md knows only "up" and "down"
      view.live().values().forEach(n -> nodes.add(nodeJson(n, "up")));
      view.departed().forEach(n -> nodes.add(nodeJson(n, "down")));
      return Future.succeededFuture(new JsonObject()
          .put("node", self)
          .put("nodes", nodes)
          .put("regions", regions)
          .put("warmHitRate", total == 0 ? null : (double) hits / total)
          .put("tenantStorage", TenantRestrictions.of(vertx).lastMeasurement())
          .put("coloTraffic", new JsonObject(new java.util.LinkedHashMap<>(metrics.coloTraffic()))));
    });
  }

  /**
   * The seed's cost model in our terms: each held connection is pinged once per keep-warm
   * interval, so the steady cost is held connections × (60 s / interval) pings per minute.
   */
  private JsonObject keepWarmCost(JsonArray members) {
    long connections = members.stream().mapToLong(m -> ((JsonObject) m).getLong("connections", 0L)).sum();
    double perMinute = connections * 60_000.0 / config.keepWarmIntervalMs();
    return new JsonObject().put("connections", connections).put("pingsPerMinute", perMinute)
        .put("intervalMs", config.keepWarmIntervalMs());
  }

  /**
   * Pool-size advice from observed load (the seed's phase 3): enough members for the region's
   * request rate at {@value #TARGET_RATE_PER_MEMBER} requests per second each, and enough that
   * no member holds more than half of {@code compute.maxTenantsPerMember} warm tenants.
   */
  private JsonObject advice(Topology.Region region, JsonArray members) {
    double uptimeSeconds = Math.max(1, java.time.Duration.between(node.startedAt(), java.time.Instant.now()).toSeconds());
    long requests = members.stream().mapToLong(m -> ((JsonObject) m).getLong("requestCount", 0L)).sum();
    long warmTenants = members.stream().mapToLong(m -> ((JsonObject) m).getLong("warmTenants", 0L)).sum();
    double rate = requests / uptimeSeconds;
    int forRate = (int) Math.ceil(rate / TARGET_RATE_PER_MEMBER);
    int forTenants = (int) Math.ceil(warmTenants / (config.compute().maxTenantsPerMember() / 2.0));
    int advised = Math.max(1, Math.min(64, Math.max(forRate, forTenants)));
    String reason = advised > region.poolSize() ? "grow: the load needs more members"
        : advised < region.poolSize() ? "could shrink: members are lightly used" : "fits the observed load";
    return new JsonObject().put("poolSize", advised).put("requestsPerSecond", Math.round(rate * 100) / 100.0)
        .put("warmTenants", warmTenants).put("reason", reason);
  }

  private static JsonObject nodeJson(ClusterView.NodeInfo node, String state) {
    return new JsonObject().put("id", node.name()).put("region", node.region()).put("http", node.http())
        .put("state", state);
  }

  /** The members this node hosts, for readiness; empty until placement has run. */
  Future<List<JsonObject>> hostedMembers() {
    List<Future<JsonObject>> members = new ArrayList<>();
    view.owners().forEach((address, owner) -> {
      if (owner.equals(view.self().id())) {
        String[] parts = address.split("\\.");
        members.add(member(parts[1], Integer.parseInt(parts[2])));
      }
    });
    return Future.join(members).transform(done ->
        Future.succeededFuture(members.stream().map(Future::result).toList()));
  }

  /** Never fails: an unreachable member is reported as down. */
  private Future<JsonObject> member(String region, int index) {
    String address = Addresses.compute(region, index);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(MEMBER_DEADLINE_MS)
        .addHeader(BusHeaders.OP, BusHeaders.OP_STATUS);
    return vertx.eventBus().<JsonObject>request(address, new JsonObject(), options)
        .map(Message::body)
        .otherwise(err -> new JsonObject().put("address", address).put("index", index).put("region", region)
            .put("node", null).put("state", "down").put("requestCount", 0).put("lastActivity", null)
            .put("lastKeepWarm", null)
            .put("latencyMs", new JsonObject().put("p50", null).put("p95", null).put("p99", null))
            .put("connections", 0).put("warmTenants", 0).put("warmHitRate", null));
  }
}
