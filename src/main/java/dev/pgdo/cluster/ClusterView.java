package dev.pgdo.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What this node knows of the cluster: the live nodes (by Vert.x node id) with their region and
 * HTTP address, nodes that left recently, nodes that announced a graceful leave, and who hosts
 * each member address. A standalone node sees only itself.
 *
 * <p>Thread-safe: written by the {@link Placement} verticle and Hazelcast's membership thread,
 * read by web verticles and clients on any event loop.
 */
public final class ClusterView {

  /** A node as its cluster metadata describes it. */
  public record NodeInfo(String id, String name, String region, String http, List<String> hostedRegions) {

    public JsonObject toMetadata() {
      return new JsonObject().put("name", name).put("region", region).put("http", http)
          .put("hostedRegions", new JsonArray(hostedRegions));
    }

    public static NodeInfo fromMetadata(String id, JsonObject metadata) {
      JsonArray hosted = metadata.getJsonArray("hostedRegions", new JsonArray());
      return new NodeInfo(id, metadata.getString("name", id), metadata.getString("region"),
          metadata.getString("http"), hosted.stream().map(String::valueOf).toList());
    }

    boolean hosts(String region) {
      return hostedRegions.contains(region);
    }
  }

  /** Enough departed nodes for {@code /v1/status} to show a rolling restart of a large cluster. */
  private static final int DEPARTED_KEPT = 32;
  /** "Long ago" for a view that has seen no change yet: older than any window a reader asks about. */
  private static final long LONG_AGO_NANOS = TimeUnit.HOURS.toNanos(1);

  private final NodeInfo self;
  private volatile Map<String, NodeInfo> live;
  private volatile Map<String, String> owners = Map.of();
  private final Map<String, NodeInfo> departed = new LinkedHashMap<>();
  private final Set<String> leaving = ConcurrentHashMap.newKeySet();
  private final List<Consumer<String>> nodeLeftListeners = new CopyOnWriteArrayList<>();
  private volatile long lastNodeLossNanos = System.nanoTime() - LONG_AGO_NANOS;
  private volatile long lastChangeNanos = System.nanoTime() - LONG_AGO_NANOS;

  public ClusterView(NodeInfo self) {
    this.self = self;
    this.live = Map.of(self.id(), self);
  }

  public NodeInfo self() {
    return self;
  }

  public Map<String, NodeInfo> live() {
    return live;
  }

  /** Member address → Vert.x node id of its host, as last read from the placement map. */
  public Map<String, String> owners() {
    return owners;
  }

  public boolean isLeaving(String nodeId) {
    return leaving.contains(nodeId);
  }

  /** Ids of the nodes that announced a graceful leave and are still live. */
  public Set<String> leavingNodes() {
    return Set.copyOf(leaving);
  }

  /** Nodes that left (crashed or stopped) recently, newest last; at most 32. */
  public synchronized List<NodeInfo> departed() {
    return new ArrayList<>(departed.values());
  }

  /**
   * Milliseconds since a node last left the cluster. For a few seconds after that, the event bus
   * may still route messages to the departed node's consumers.
   */
  public long millisSinceNodeLoss() {
    return (System.nanoTime() - lastNodeLossNanos) / 1_000_000;
  }

  /**
   * Milliseconds since the cluster last changed in a way that moves members: a node joined,
   * announced a graceful leave, left or died, or a member was handed over or taken out of
   * service. Until every node's event-bus view has caught up with such a change, a message
   * may be routed to a consumer that has just gone away.
   */
  public long millisSinceChange() {
    return (System.nanoTime() - lastChangeNanos) / 1_000_000;
  }

  /** Records a change that moves members (see {@link #millisSinceChange()}). Any thread. */
  public void markChanged() {
    lastChangeNanos = System.nanoTime();
  }

  /** Called with the Vert.x node id of a node that left the cluster, on Hazelcast's thread. */
  public void onNodeLeft(Consumer<String> listener) {
    nodeLeftListeners.add(listener);
  }

  public void removeNodeLeftListener(Consumer<String> listener) {
    nodeLeftListeners.remove(listener);
  }

  void markLeaving(String nodeId) {
    if (leaving.add(nodeId)) {
      markChanged();
    }
  }

  synchronized void updateLive(Map<String, NodeInfo> nodes) {
    if (!nodes.keySet().equals(live.keySet())) {
      markChanged();
    }
    for (NodeInfo known : live.values()) {
      if (!nodes.containsKey(known.id())) {
        remember(known);
      }
    }
    nodes.keySet().forEach(departed::remove);
    live = Map.copyOf(nodes);
    leaving.retainAll(nodes.keySet());
  }

  void updateOwners(Map<String, String> snapshot) {
    if (!snapshot.equals(owners)) {
      markChanged();
    }
    owners = Map.copyOf(snapshot);
  }

  /** Hazelcast reported the node gone: fail over its in-flight work at once, before the next placement round. */
  public void nodeLeft(String nodeId) {
    lastNodeLossNanos = System.nanoTime();
    markChanged();
    synchronized (this) {
      NodeInfo gone = live.get(nodeId);
      if (gone != null) {
        Map<String, NodeInfo> remaining = new LinkedHashMap<>(live);
        remaining.remove(nodeId);
        remember(gone);
        live = Map.copyOf(remaining);
      }
    }
    nodeLeftListeners.forEach(listener -> listener.accept(nodeId));
  }

  private void remember(NodeInfo node) {
    departed.remove(node.id());
    departed.put(node.id(), node);
    while (departed.size() > DEPARTED_KEPT) {
      departed.remove(departed.keySet().iterator().next());
    }
  }
}
