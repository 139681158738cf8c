package dev.pgdo.cluster;

import dev.pgdo.bus.Addresses;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which node hosts each compute member, as a pure function: from the topology, the live nodes,
 * the claims in the cluster-wide placement map and what this node runs, the actions this node
 * takes in one round. {@link Placement} carries them out.
 *
 * <p>The desired host of {@code shared-compute.<r>.<i>} is the rendezvous winner among the live,
 * not-leaving nodes that host region {@code r}; without such a node, among the nodes of
 * {@code r}'s fallback regions in order; as a last resort, among all live, not-leaving nodes.
 * Every node computes the same answer from the same membership, so a node that joins, leaves or
 * dies moves only the members it wins or held. A member is deployed only under this node's claim,
 * a claim is taken only when free or held by a node gone from the membership list, and a member
 * that another node claims is never kept running here.
 */
public final class PlacementPlan {

  /** One step of a round, for one member address. */
  public sealed interface Action {
    String address();
  }

  /** The claim is free: claim it ({@code putIfAbsent}), then deploy the member if it is not running here. */
  public record Claim(String region, int index, String address) implements Action {
  }

  /**
   * The claim is held by a node gone from the membership list: announce that node's loss (so
   * requests in flight to it fail over now), take the claim over from it
   * ({@code replaceIfPresent}), then deploy.
   */
  public record TakeOver(String region, int index, String address, String deadOwner) implements Action {
  }

  /** This node holds the claim but does not run the member: deploy it. */
  public record Deploy(String region, int index, String address) implements Action {
  }

  /** Another node should host the member: hand it over (drain, give the claim back, undeploy). */
  public record Release(String address) implements Action {
  }

  /** Another node holds the claim of a member running here (a healed split): undeploy the local copy. */
  public record UndeployDuplicate(String address) implements Action {
  }

  /**
   * What this node runs, as the plan needs it.
   *
   * @param deployed    members running here (not counting those in their hand-over grace period)
   * @param releasing   members handed over but still answering "moved" for the grace period
   * @param handingOver members whose hand-over (drain, then claim release) is under way
   * @param disabled    members an operator took out of service here: left alone
   * @param leaving     this node is leaving gracefully: it wants no member
   */
  public record Local(Set<String> deployed, Set<String> releasing, Set<String> handingOver, Set<String> disabled,
                      boolean leaving) {
  }

  /**
   * @param topology   the regions and their pool sizes and fallbacks
   * @param live       the nodes known to be live, with their hosted regions
   * @param leaving    ids of nodes that announced a graceful leave: they get no member
   * @param membership ids in the cluster's membership list: a claim by anyone else is a dead node's
   * @param claims     the placement map: member address → node id
   * @param self       this node's id
   * @return this node's actions, in topology order
   */
  public static List<Action> plan(Topology topology, Collection<ClusterView.NodeInfo> live, Set<String> leaving,
                                  Set<String> membership, Map<String, String> claims, String self, Local local) {
    List<Action> actions = new ArrayList<>();
    for (Topology.Region region : topology.regions().values()) {
      Optional<List<ClusterView.NodeInfo>> candidates = candidates(region, live, leaving);
      for (int i = 0; i < region.poolSize(); i++) {
        String address = Addresses.compute(region.id(), i);
        if (local.disabled().contains(address)) {
          continue;
        }
        String owner = claims.get(address);
        boolean deployed = local.deployed().contains(address);
        boolean mine = !local.leaving()
            && candidates.flatMap(nodes -> desiredHost(address, nodes)).map(self::equals).orElse(false);
        if (deployed && owner != null && !self.equals(owner)) {
          actions.add(new UndeployDuplicate(address));
        } else if (mine) {
          acquire(region.id(), i, address, owner, self, membership, local).ifPresent(actions::add);
        } else if ((self.equals(owner) || deployed) && !local.handingOver().contains(address)) {
          actions.add(new Release(address));
        }
      }
    }
    return actions;
  }

  /** The rendezvous winner for {@code address} among {@code candidates}; ties (never seen) by node id. */
  public static Optional<String> desiredHost(String address, List<ClusterView.NodeInfo> candidates) {
    Comparator<ClusterView.NodeInfo> byWeight = Comparator.comparing(
        n -> Rendezvous.weight(address, n.id()), Long::compareUnsigned);
    return candidates.stream().max(byWeight.thenComparing(ClusterView.NodeInfo::id)).map(ClusterView.NodeInfo::id);
  }

  private static Optional<Action> acquire(String region, int index, String address, String owner, String self,
                                          Set<String> membership, Local local) {
    if (local.releasing().contains(address)) {
      return Optional.empty(); // our old instance is still answering "moved"; claim it next round
    }
    if (self.equals(owner)) {
      return local.deployed().contains(address) ? Optional.empty() : Optional.of(new Deploy(region, index, address));
    }
    if (owner == null) {
      return Optional.of(new Claim(region, index, address));
    }
    if (!membership.contains(owner)) {
      // Liveness comes from the membership list itself, not from the node details (a failed
      // details lookup must not look like a dead node).
      return Optional.of(new TakeOver(region, index, address, owner));
    }
    return Optional.empty(); // still held by a live node that will hand it over
  }

  /** The nodes allowed to host the region's members: its own, else its fallbacks', else any; none if no node is live. */
  private static Optional<List<ClusterView.NodeInfo>> candidates(Topology.Region region,
                                                                  Collection<ClusterView.NodeInfo> live,
                                                                  Set<String> leaving) {
    List<ClusterView.NodeInfo> candidates = eligible(region.id(), live, leaving);
    for (String fallback : region.fallbacks()) {
      if (!candidates.isEmpty()) {
        break;
      }
      candidates = eligible(fallback, live, leaving);
    }
    if (candidates.isEmpty()) {
      candidates = live.stream().filter(n -> !leaving.contains(n.id())).toList();
    }
    return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates);
  }

  private static List<ClusterView.NodeInfo> eligible(String region, Collection<ClusterView.NodeInfo> live,
                                                     Set<String> leaving) {
    return live.stream().filter(n -> n.hosts(region) && !leaving.contains(n.id())).toList();
  }
}
