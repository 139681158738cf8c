package dev.pgdo.cluster;

import dev.pgdo.bus.Addresses;
import dev.pgdo.config.AppConfig;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * Carries out {@link PlacementPlan}: deploys or undeploys this node's share of the compute
 * members, under claims in the cluster-wide map {@code Addresses.PLACEMENT_MAP} (address →
 * Vert.x node id). A node deploys a member only after winning its claim, and gives the claim
 * back only after the member drained. A dead node's claims are taken over at once.
 *
 * <p>Rounds run on membership changes, on placement notices, and every second as a safety net;
 * one round at a time (a round asked for meanwhile runs once right after).
 */
public final class Placement extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(Placement.class);

  /**
   * The safety-net round: picks up a joined node whose details were not readable yet, or a claim
   * write that failed. Membership changes and notices trigger rounds at once; this only bounds
   * how long a missed trigger can delay a placement.
   */
  private static final long ROUND_INTERVAL_MS = 1_000;

  private final AppConfig config;
  private final ClusterView view;
  private final ClusterManager clusterManager;
  private final BiFunction<String, Integer, Deployable> memberFactory;
  private final Membership membership;
  /** Members running here: address → deployment id. */
  private final Map<String, String> deployments = new HashMap<>();
  /** Members an operator took out of service here: kept claimed, not redeployed. */
  private final Set<String> disabled = new HashSet<>();

  private HandOvers handOvers;
  private AsyncMap<String, String> claims;
  /** {@code Addresses.PLACING_NODES_MAP}: the nodes that may be given members. */
  private AsyncMap<String, String> placingNodes;
  private Future<Void> roundInProgress;
  /** The round asked for while one was running; it runs once that one ends. */
  private Promise<Void> nextRound;
  private boolean leaving;
  /** While leaving: completed once this node runs and claims nothing, and no hand-over is under way. */
  private Promise<Void> allReleased;

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
    this.membership = new Membership(view, clusterManager);
  }

  @Override
  public Future<?> start() {
    handOvers = new HandOvers(vertx, config.drainMs(), this::checkReleased);
    view.onNodeLeft(nodeId -> context.runOnContext(v -> round()));
    vertx.setPeriodic(ROUND_INTERVAL_MS, id -> round());
    Future<Void> changed = vertx.eventBus().consumer(Addresses.PLACEMENT_CHANGED, msg -> {
      view.markChanged();
      round();
    }).completion();
    Future<Void> leavingNodes = vertx.eventBus().<String>consumer(Addresses.NODE_LEAVING, msg -> {
      view.markLeaving(msg.body());
      round();
    }).completion();
    return Future.all(changed, leavingNodes)
        .compose(v -> vertx.sharedData().<String, String>getAsyncMap(Addresses.PLACING_NODES_MAP))
        .compose(map -> {
          placingNodes = map;
          return map.put(view.self().id(), view.self().name());
        })
        .compose(v -> vertx.sharedData().<String, String>getAsyncMap(Addresses.PLACEMENT_MAP))
        .compose(map -> {
          claims = map;
          // the others may now hand this node its members: tell them to look
          vertx.eventBus().publish(Addresses.PLACEMENT_CHANGED, view.self().id());
          return round();
        });
  }

  /**
   * Graceful leave: tell the cluster, then hand every member over (each hand-over lets its
   * in-flight statements finish), bounded by {@code timeoutMs}. Completes when every hand-over
   * has finished, or at the deadline.
   */
  public Future<Void> leave(long timeoutMs) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      leaving = true;
      view.markLeaving(view.self().id());
      placingNodes.remove(view.self().id());
      vertx.eventBus().publish(Addresses.NODE_LEAVING, view.self().id());
      allReleased = Promise.promise();
      round();
      allReleased.future()
          .timeout(timeoutMs, TimeUnit.MILLISECONDS)
          .onComplete(r -> {
            if (r.failed()) {
              log.warn("leaving with hand-overs unfinished after {} ms: {}", timeoutMs, handOvers.unfinished());
            }
            done.complete();
          });
    });
    return done.future();
  }

  /** Takes one member out of service on this node without handing it over (operators and tests). */
  public Future<Void> undeployMember(String address) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      disabled.add(address);
      String id = deployments.remove(address);
      (id == null ? Future.<Void>succeededFuture() : vertx.undeploy(id))
          .onComplete(r -> vertx.eventBus().publish(Addresses.PLACEMENT_CHANGED, address))
          .onComplete(done);
    });
    return done.future();
  }

  /** Runs a round now, or once the running one ends; completes when that round has ended. Never fails. */
  private Future<Void> round() {
    if (claims == null) {
      return Future.succeededFuture();
    }
    if (roundInProgress != null) {
      if (nextRound == null) {
        nextRound = Promise.promise();
      }
      return nextRound.future();
    }
    Future<Void> round = membership.refresh()
        .compose(membership -> placingNodes.keys().compose(placing -> claims.entries()
            .compose(current -> apply(membership, placing, current))))
        .onFailure(err -> log.warn("placement round failed: {}", err.getMessage()))
        .otherwiseEmpty();
    roundInProgress = round;
    round.onComplete(r -> {
      roundInProgress = null;
      checkReleased();
      Promise<Void> queued = nextRound;
      nextRound = null;
      if (queued != null) {
        round().onComplete(queued);
      }
    });
    return round;
  }

  /** Completes {@link #leave}'s wait once nothing is left to hand over. */
  private void checkReleased() {
    if (allReleased != null && deployments.isEmpty() && handOvers.none() && roundInProgress == null) {
      allReleased.tryComplete();
    }
  }

  /**
   * @param membership the Vert.x node ids in the cluster's membership list at the start of this round
   * @param placing    the nodes whose placement verticle runs ({@code Addresses.PLACING_NODES_MAP})
   */
  private Future<Void> apply(Set<String> membership, Set<String> placing, Map<String, String> current) {
    String self = view.self().id();
    for (String node : placing) {
      if (!membership.contains(node)) {
        placingNodes.remove(node); // a node that died; any node may clean up after it
      }
    }
    if (!leaving && !placing.contains(self)) {
      placingNodes.put(self, view.self().name()); // removed by a node whose membership list lagged
    }
    List<ClusterView.NodeInfo> hosts = view.live().values().stream()
        .filter(n -> n.id().equals(self) || placing.contains(n.id()))
        .toList();
    PlacementPlan.Local local = new PlacementPlan.Local(Set.copyOf(deployments.keySet()), handOvers.inGrace(),
        handOvers.draining(), Set.copyOf(disabled), leaving);
    List<PlacementPlan.Action> actions = PlacementPlan.plan(config.topology(), hosts,
        view.leavingNodes(), membership, current, self, local);
    Map<String, String> owners = new HashMap<>(current);
    List<Future<Void>> steps = new ArrayList<>();
    for (PlacementPlan.Action action : actions) {
      steps.add(carryOut(action, owners));
    }
    return Future.join(steps).transform(done -> {
      view.updateOwners(owners);
      return Future.succeededFuture();
    });
  }

  private Future<Void> carryOut(PlacementPlan.Action action, Map<String, String> owners) {
    String self = view.self().id();
    if (action instanceof PlacementPlan.UndeployDuplicate a) {
      // Another node holds the claim (a healed split, or a claim taken while this node looked
      // dead): never keep a second consumer on the address.
      log.warn("{} is claimed by another node; undeploying the local copy", a.address());
      vertx.undeploy(deployments.remove(a.address()));
      return Future.succeededFuture();
    }
    if (action instanceof PlacementPlan.Deploy a) {
      return deploy(a.region(), a.index(), a.address(), owners);
    }
    if (action instanceof PlacementPlan.Claim a) {
      return claimed(claims.putIfAbsent(a.address(), self).map(previous -> previous == null),
          a.region(), a.index(), a.address(), owners);
    }
    if (action instanceof PlacementPlan.TakeOver a) {
      // Placement may learn of the loss before the membership listener runs: announce it, so
      // that requests in flight to the dead node fail over now (announcing twice is harmless).
      view.nodeLeft(a.deadOwner());
      return claimed(claims.replaceIfPresent(a.address(), a.deadOwner(), self),
          a.region(), a.index(), a.address(), owners);
    }
    PlacementPlan.Release a = (PlacementPlan.Release) action;
    // Hand-overs run on their own (each takes up to drainMs); the round does not wait.
    handOvers.start(a.address(), deployments.remove(a.address()),
        () -> claims.removeIfPresent(a.address(), self));
    owners.remove(a.address());
    return Future.succeededFuture();
  }

  private Future<Void> claimed(Future<Boolean> won, String region, int index, String address,
                               Map<String, String> owners) {
    return won.compose(ok -> {
      if (!ok) {
        return Future.succeededFuture();
      }
      owners.put(address, view.self().id());
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
}
