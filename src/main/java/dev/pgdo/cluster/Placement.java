package dev.pgdo.cluster;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import io.vertx.core.eventbus.DeliveryOptions;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Decides which node hosts each compute member, and deploys or undeploys this node's share.
 *
 * <p>Every member address lives on exactly one node: a node deploys a member only after winning
 * its claim in the cluster-wide map {@code pgdo.placement} (address → Vert.x node id), and gives
 * the claim back only after undeploying. The desired host of {@code shared-compute.<r>.<i>} is
 * the rendezvous winner among the live nodes that host region {@code r}; without such a node,
 * among the nodes of {@code r}'s fallback regions in order; as a last resort, among all nodes.
 * Every node computes the same answer from the same membership, so a node that joins, leaves
 * or dies moves only the members it wins or held. A dead node's claims are taken over at once.
 *
 * <p>Rounds run on membership changes, on release notices, and every second as a safety net;
 * one round at a time.
 */
public final class Placement extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(Placement.class);

  /** Published when a node gives members back or starts leaving: everyone runs a round. */
  public static final String CHANGED = "pgdo.control.placement-changed";
  /** Published with the Vert.x node id of a node that is about to leave gracefully. */
  public static final String LEAVING = "pgdo.control.node-leaving";

  private static final long ROUND_INTERVAL_MS = 1_000;
  /** How long a handed-over member keeps answering "moved" before its consumer goes away. */
  private static final long HAND_OVER_GRACE_MS = 1_500;

  private final AppConfig config;
  private final ClusterView view;
  private final ClusterManager clusterManager;
  private final BiFunction<String, Integer, Deployable> memberFactory;
  private final Map<String, String> deployments = new HashMap<>();
  /** Members whose hand-over (drain, then claim release) is under way. */
  private final java.util.Set<String> handingOver = new java.util.HashSet<>();
  /** Members handed over but still answering "moved" for the grace period: address → deployment id. */
  private final Map<String, String> releasing = new HashMap<>();
  /** Members an operator took out of service here: kept claimed, not redeployed. */
  private final java.util.Set<String> disabled = new java.util.HashSet<>();

  private AsyncMap<String, String> claims;
  /** The Vert.x node ids in the cluster's membership list at the start of this round. */
  private java.util.Set<String> liveIds = java.util.Set.of();
  private boolean running;
  private boolean again;
  private boolean leaving;

  /**
   * @param clusterManager null for a standalone node
   * @param memberFactory  makes the compute verticle of (region, index)
   */
  public Placement(AppConfig config, ClusterView view, ClusterManager clusterManager,
                   BiFunction<String, Integer, Deployable> memberFactory) {
    this.config = config;
    this.view = view;
    this.clusterManager = clusterManager;
    this.memberFactory = memberFactory;
  }

  @Override
  public Future<?> start() {
    view.onNodeLeft(nodeId -> context.runOnContext(v -> round()));
    vertx.setPeriodic(ROUND_INTERVAL_MS, id -> round());
    Future<Void> changed = vertx.eventBus().consumer(CHANGED, msg -> round()).completion();
    Future<Void> leavingNodes = vertx.eventBus().<String>consumer(LEAVING, msg -> {
      view.markLeaving(msg.body());
      round();
    }).completion();
    return Future.all(changed, leavingNodes)
        .compose(v -> vertx.sharedData().<String, String>getAsyncMap("pgdo.placement"))
        .compose(map -> {
          claims = map;
          return runRound();
        });
  }

  /**
   * Graceful leave: tell the cluster, then hand every member over (each undeploy lets its
   * in-flight statements finish), bounded by {@code timeoutMs}.
   */
  public Future<Void> leave(long timeoutMs) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      leaving = true;
      view.markLeaving(view.self().id());
      vertx.eventBus().publish(LEAVING, view.self().id());
      long deadline = System.currentTimeMillis() + timeoutMs;
      waitUntilReleased(deadline, done);
    });
    return done.future();
  }

  private void waitUntilReleased(long deadline, Promise<Void> done) {
    runRound().onComplete(r -> {
      if ((deployments.isEmpty() && releasing.isEmpty() && handingOver.isEmpty())
          || System.currentTimeMillis() > deadline) {
        done.tryComplete();
      } else {
        vertx.setTimer(100, id -> waitUntilReleased(deadline, done));
      }
    });
  }

  private void round() {
    runRound();
  }

  private Future<Void> runRound() {
    if (claims == null) {
      return Future.succeededFuture();
    }
    if (running) {
      again = true;
      return Future.succeededFuture();
    }
    running = true;
    return refreshLiveNodes()
        .compose(v -> claims.entries())
        .compose(this::apply)
        .onFailure(err -> log.warn("placement round failed: {}", err.getMessage()))
        .eventually(() -> {
          running = false;
          if (again) {
            again = false;
            vertx.runOnContext(x -> round());
          }
          return Future.succeededFuture();
        })
        .mapEmpty();
  }

  private Future<Void> refreshLiveNodes() {
    if (clusterManager == null) {
      liveIds = java.util.Set.of(view.self().id());
      return Future.succeededFuture();
    }
    List<String> ids = clusterManager.getNodes();
    liveIds = java.util.Set.copyOf(ids);
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
      return Future.succeededFuture();
    });
  }

  private Future<Void> apply(Map<String, String> current) {
    Map<String, String> owners = new HashMap<>(current);
    List<Future<Void>> steps = new ArrayList<>();
    String self = view.self().id();
    for (Topology.Region region : config.topology().regions().values()) {
      for (int i = 0; i < region.poolSize(); i++) {
        String address = Addresses.compute(region.id(), i);
        if (disabled.contains(address)) {
          continue;
        }
        String owner = current.get(address);
        boolean mine = !leaving && candidates(region).map(nodes -> isDesired(address, nodes)).orElse(false);
        if (deployments.containsKey(address) && owner != null && !self.equals(owner)) {
          // Another node holds the claim (a healed split, or a claim taken while this node looked
          // dead): never keep a second consumer on the address.
          log.warn("{} is claimed by another node; undeploying the local copy", address);
          vertx.undeploy(deployments.remove(address));
        } else if (mine) {
          steps.add(acquire(region.id(), i, address, owner, owners));
        } else if ((self.equals(owner) || deployments.containsKey(address)) && handingOver.add(address)) {
          // Hand-overs run on their own (each takes up to drainMs); the round does not wait.
          release(address);
          owners.remove(address);
        }
      }
    }
    return Future.join(steps).transform(done -> {
      view.updateOwners(owners);
      return Future.succeededFuture();
    });
  }

  /** The nodes allowed to host the region's members: its own, else its fallbacks', else any. */
  private Optional<List<ClusterView.NodeInfo>> candidates(Topology.Region region) {
    List<ClusterView.NodeInfo> candidates = eligible(region.id());
    for (String fallback : region.fallbacks()) {
      if (!candidates.isEmpty()) {
        break;
      }
      candidates = eligible(fallback);
    }
    if (candidates.isEmpty()) {
      candidates = view.live().values().stream().filter(n -> !view.isLeaving(n.id())).toList();
    }
    return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates);
  }

  private List<ClusterView.NodeInfo> eligible(String region) {
    return view.live().values().stream()
        .filter(n -> n.hosts(region) && !view.isLeaving(n.id()))
        .toList();
  }

  private boolean isDesired(String address, List<ClusterView.NodeInfo> candidates) {
    Comparator<ClusterView.NodeInfo> byWeight = Comparator.comparing(
        n -> Rendezvous.weight(address, n.id()), Long::compareUnsigned);
    return candidates.stream().max(byWeight.thenComparing(ClusterView.NodeInfo::id))
        .map(n -> n.id().equals(view.self().id()))
        .orElse(false);
  }

  private Future<Void> acquire(String region, int index, String address, String owner, Map<String, String> owners) {
    String self = view.self().id();
    if (releasing.containsKey(address)) {
      return Future.succeededFuture(); // our old instance is still answering "moved"; claim it next round
    }
    if (self.equals(owner)) {
      return deployments.containsKey(address) ? Future.succeededFuture() : deploy(region, index, address, owners);
    }
    Future<Boolean> claimed;
    if (owner == null) {
      claimed = claims.putIfAbsent(address, self).map(previous -> previous == null);
    } else if (!liveIds.contains(owner)) {
      // Its host is gone. Liveness comes from the membership list itself, not from the node
      // details (a failed details lookup must not look like a dead node). Placement may learn
      // of the loss before the membership listener runs: announce it, so that requests in
      // flight to the dead node fail over now (announcing twice is harmless).
      view.nodeLeft(owner);
      claimed = claims.replaceIfPresent(address, owner, self);
    } else {
      return Future.succeededFuture(); // still held by a live node that will hand it over
    }
    return claimed.compose(won -> {
      if (!won) {
        return Future.succeededFuture();
      }
      owners.put(address, self);
      // A claim that went missing while the member ran here is re-taken, not redeployed.
      return deployments.containsKey(address) ? Future.succeededFuture() : deploy(region, index, address, owners);
    });
  }

  private Future<Void> deploy(String region, int index, String address, Map<String, String> owners) {
    return vertx.deployVerticle(memberFactory.apply(region, index))
        .onSuccess(id -> {
          deployments.put(address, id);
          log.info("hosting {}", address);
        })
        .recover(err -> {
          log.error("cannot deploy {}: {}", address, err.getMessage());
          owners.remove(address);
          return claims.removeIfPresent(address, view.self().id()).map((String) null);
        })
        .mapEmpty();
  }

  /**
   * Hands a member over without losing a message: the member first stops running queries (it
   * answers "moved", which senders treat like an absent member) and finishes the running ones;
   * then the claim is given back, so the new host can register; only after a grace period, once
   * every node's view of the bus has caught up, is the old consumer removed. A message routed on
   * a stale view in between is redirected rather than lost.
   */
  private void release(String address) {
    String id = deployments.remove(address);
    if (id != null) {
      releasing.put(address, id);
    }
    Future<Void> drained = id == null ? Future.succeededFuture()
        : vertx.eventBus().request(BusHeaders.handOverAddress(address), null,
                new DeliveryOptions().setSendTimeout(config.drainMs() + 1_000))
            .<Void>mapEmpty()
            .otherwiseEmpty();
    drained
        .compose(v -> claims.removeIfPresent(address, view.self().id()))
        .onComplete(removed -> {
          handingOver.remove(address);
          if (removed.failed()) {
            log.warn("could not give back the claim on {}: {}", address, removed.cause().getMessage());
          } else {
            log.info("handed over {}", address);
          }
          vertx.eventBus().publish(CHANGED, address);
          if (id != null) {
            // Whatever happened to the claim, the old instance goes away after the grace period.
            vertx.setTimer(HAND_OVER_GRACE_MS, t -> vertx.undeploy(id).onComplete(done -> releasing.remove(address)));
          }
        });
  }

  /** Takes one member out of service on this node without handing it over (operators and tests). */
  public Future<Void> undeployMember(String address) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      disabled.add(address);
      String id = deployments.remove(address);
      (id == null ? Future.<Void>succeededFuture() : vertx.undeploy(id)).onComplete(done);
    });
    return done.future();
  }
}
