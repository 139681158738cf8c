package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.Topology;
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
  private final NodeState node;
  private final ClusterView view;

  StatusCollector(Vertx vertx, AppConfig config, NodeState node, ClusterView view) {
    this.vertx = vertx;
    this.config = config;
    this.node = node;
    this.view = view;
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
        for (Future<JsonObject> member : byRegion.get(region.id())) {
          JsonObject m = member.result();
          members.add(m);
          hits += m.getLong("warmHits", 0L);
          total += m.getLong("warmHits", 0L) + m.getLong("warmMisses", 0L);
        }
        JsonObject entry = new JsonObject().put("poolSize", region.poolSize()).put("members", members);
        if (region.servedBy() != null) {
          entry.put("servedBy", topology.poolRegion(region.id()));
        }
        regions.put(region.id(), entry);
      }
      JsonObject self = new JsonObject().put("id", config.nodeId()).put("region", config.nodeRegion())
          .put("startedAt", node.startedAt().toString());
      JsonArray nodes = new JsonArray();
      view.live().values().forEach(n -> nodes.add(nodeJson(n, view.isLeaving(n.id()) ? "leaving" : "up")));
      view.departed().forEach(n -> nodes.add(nodeJson(n, "down")));
      return Future.succeededFuture(new JsonObject()
          .put("node", self)
          .put("nodes", nodes)
          .put("regions", regions)
          .put("warmHitRate", total == 0 ? null : (double) hits / total));
    });
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
