package dev.pgdo.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the cluster's membership list, and the details (region, HTTP address, hosted regions)
 * of nodes the {@link ClusterView} does not know yet, into the view. Used by {@link Placement}
 * at the start of each round.
 */
final class Membership {

  private final ClusterView view;
  private final ClusterManager clusterManager;

  /** @param clusterManager null for a standalone node */
  Membership(ClusterView view, ClusterManager clusterManager) {
    this.view = view;
    this.clusterManager = clusterManager;
  }

  /** Updates the view; completes with the Vert.x node ids in the membership list. Never fails. */
  Future<Set<String>> refresh() {
    if (clusterManager == null) {
      return Future.succeededFuture(Set.of(view.self().id()));
    }
    List<String> ids = clusterManager.getNodes();
    Map<String, ClusterView.NodeInfo> known = view.live();
    List<Future<ClusterView.NodeInfo>> lookups = new ArrayList<>();
    for (String id : ids) {
      if (known.containsKey(id)) {
        lookups.add(Future.succeededFuture(known.get(id)));
      } else {
        Promise<NodeInfo> info = Promise.promise();
        clusterManager.getNodeInfo(id, info);
        // A member that has not finished joining has no info yet: it is picked up next round.
        lookups.add(info.future().map(i -> ClusterView.NodeInfo.fromMetadata(id, i.metadata())).otherwiseEmpty());
      }
    }
    return Future.join(lookups).transform(done -> {
      Map<String, ClusterView.NodeInfo> live = new LinkedHashMap<>();
      for (Future<ClusterView.NodeInfo> lookup : lookups) {
        if (lookup.succeeded() && lookup.result() != null) {
          live.put(lookup.result().id(), lookup.result());
        }
      }
      live.put(view.self().id(), view.self());
      view.updateLive(live);
      return Future.succeededFuture(Set.copyOf(ids));
    });
  }
}
