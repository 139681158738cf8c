package dev.pgdo.cluster;

import dev.pgdo.cluster.PlacementPlan.Action;
import dev.pgdo.cluster.PlacementPlan.Claim;
import dev.pgdo.cluster.PlacementPlan.Deploy;
import dev.pgdo.cluster.PlacementPlan.Local;
import dev.pgdo.cluster.PlacementPlan.Release;
import dev.pgdo.cluster.PlacementPlan.TakeOver;
import dev.pgdo.cluster.PlacementPlan.UndeployDuplicate;
import dev.pgdo.routing.Topology;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("PlacementPlan: which node hosts each member, and what this node does about it")
class PlacementPlanTest {

  /** Two pooled regions, each the other's fallback, and one region served by enam. */
  private static final Topology TOPOLOGY = Topology.from(new JsonObject("""
      {"defaultRegion": "enam",
       "regions": {
         "enam": {"poolSize": 4, "fallbacks": ["weur"]},
         "weur": {"poolSize": 2, "fallbacks": ["enam"]},
         "sam":  {"poolSize": 0, "servedBy": "enam"}}}"""));
  private static final List<String> ENAM = List.of("shared-compute.enam.0", "shared-compute.enam.1",
      "shared-compute.enam.2", "shared-compute.enam.3");
  private static final List<String> WEUR = List.of("shared-compute.weur.0", "shared-compute.weur.1");

  private static final ClusterView.NodeInfo A = node("node-a", "enam");
  private static final ClusterView.NodeInfo B = node("node-b", "enam");
  private static final ClusterView.NodeInfo W = node("node-w", "weur");
  private static final Local NOTHING_HERE = local(Set.of());

  @Nested
  @DisplayName("a node alone in the cluster")
  class Alone {

    @Test
    void claimsEveryMemberOfEveryRegionItsFallbacksCover() {
      List<Action> actions = plan(List.of(A), Map.of(), "node-a", NOTHING_HERE);
      assertThat(addresses(actions, Claim.class)).containsExactlyElementsOf(concat(ENAM, WEUR));
    }

    @Test
    void deploysWhatItHoldsTheClaimOfButDoesNotRun() {
      Map<String, String> claims = owned(ENAM.get(0), "node-a");
      List<Action> actions = plan(List.of(A), claims, "node-a", NOTHING_HERE);
      assertThat(actions).contains(new Deploy("enam", 0, ENAM.get(0)));
      assertThat(addresses(actions, Claim.class)).doesNotContain(ENAM.get(0));
    }

    @Test
    void doesNothingForWhatItHoldsAndRuns() {
      Map<String, String> claims = new HashMap<>();
      concat(ENAM, WEUR).forEach(a -> claims.put(a, "node-a"));
      assertThat(plan(List.of(A), claims, "node-a", local(Set.copyOf(concat(ENAM, WEUR))))).isEmpty();
    }
  }

  @Nested
  @DisplayName("two nodes of the same region")
  class TwoNodes {

    @Test
    void splitTheRegionBetweenThemWithoutOverlapByRendezvous() {
      Set<String> byA = Set.copyOf(addresses(plan(List.of(A, B), Map.of(), "node-a", NOTHING_HERE), Claim.class));
      Set<String> byB = Set.copyOf(addresses(plan(List.of(A, B), Map.of(), "node-b", NOTHING_HERE), Claim.class));
      assertThat(byA).doesNotContainAnyElementsOf(byB);
      assertThat(union(byA, byB)).containsExactlyInAnyOrderElementsOf(concat(ENAM, WEUR));
      for (String address : concat(ENAM, WEUR)) {
        String desired = PlacementPlan.desiredHost(address, List.of(A, B)).orElseThrow();
        assertThat(byA.contains(address)).as(address).isEqualTo(desired.equals("node-a"));
      }
    }

    @Test
    void aJoinedNodeIsHandedTheMembersItWinsAndNothingElse() {
      Map<String, String> claims = new HashMap<>();
      concat(ENAM, WEUR).forEach(a -> claims.put(a, "node-a"));
      List<Action> actions = plan(List.of(A, B), claims, "node-a", local(Set.copyOf(concat(ENAM, WEUR))));
      List<String> wonByB = concat(ENAM, WEUR).stream()
          .filter(a -> PlacementPlan.desiredHost(a, List.of(A, B)).orElseThrow().equals("node-b")).toList();
      assertThat(wonByB).isNotEmpty();
      assertThat(addresses(actions, Release.class)).containsExactlyInAnyOrderElementsOf(wonByB);
      assertThat(actions).allMatch(a -> a instanceof Release);
    }

    @Test
    void theNewNodeWaitsForTheHandOverOfAClaimALiveNodeHolds() {
      Map<String, String> claims = new HashMap<>();
      concat(ENAM, WEUR).forEach(a -> claims.put(a, "node-a"));
      assertThat(plan(List.of(A, B), claims, "node-b", NOTHING_HERE)).isEmpty();
    }

    @Test
    void aDeadNodesClaimsAreTakenOverByTheirNewWinner() {
      Map<String, String> claims = new HashMap<>();
      concat(ENAM, WEUR).forEach(a -> claims.put(a, "node-b"));
      // node-b is gone from the membership list (and from the live view)
      List<Action> actions = PlacementPlan.plan(TOPOLOGY, List.of(A), Set.of(), Set.of("node-a"), claims, "node-a",
          NOTHING_HERE);
      assertThat(actions).hasSize(ENAM.size() + WEUR.size()).allMatch(a -> a instanceof TakeOver);
      assertThat(actions).contains(new TakeOver("enam", 0, ENAM.get(0), "node-b"));
    }

    @Test
    void aClaimOfANodeStillInTheMembershipListIsNotTakenEvenWithoutItsDetails() {
      Map<String, String> claims = owned(ENAM.get(0), "node-b");
      // node-b's details could not be read (it is not in the live view), but it is a member
      List<Action> actions = PlacementPlan.plan(TOPOLOGY, List.of(A), Set.of(), Set.of("node-a", "node-b"), claims,
          "node-a", NOTHING_HERE);
      assertThat(addresses(actions, TakeOver.class)).doesNotContain(ENAM.get(0));
      assertThat(addresses(actions, Claim.class)).doesNotContain(ENAM.get(0));
    }
  }

  @Nested
  @DisplayName("regions and fallbacks")
  class Regions {

    @Test
    void membersStayOnNodesOfTheirOwnRegionWhileThereIsOne() {
      Set<String> byW = Set.copyOf(addresses(plan(List.of(A, W), Map.of(), "node-w", NOTHING_HERE), Claim.class));
      assertThat(byW).containsExactlyInAnyOrderElementsOf(WEUR);
    }

    @Test
    void aRegionWithoutANodeIsHostedByItsFallback() {
      Set<String> byA = Set.copyOf(addresses(plan(List.of(A), Map.of(), "node-a", NOTHING_HERE), Claim.class));
      assertThat(byA).containsAll(WEUR);
    }

    @Test
    void withoutAnyEligibleNodeAnyLiveNodeHostsTheRegion() {
      Topology isolated = Topology.from(new JsonObject("""
          {"defaultRegion": "enam", "regions": {"enam": {"poolSize": 1}, "oc": {"poolSize": 1}}}"""));
      List<Action> actions = PlacementPlan.plan(isolated, List.of(A), Set.of(), Set.of("node-a"), Map.of(), "node-a",
          NOTHING_HERE);
      assertThat(addresses(actions, Claim.class)).containsExactly("shared-compute.enam.0", "shared-compute.oc.0");
    }
  }

  @Nested
  @DisplayName("leaving, hand-overs and operators")
  class Transitions {

    @Test
    void aLeavingNodeReleasesEverythingItRunsOrHolds() {
      Map<String, String> claims = owned(ENAM.get(1), "node-a");
      Local leaving = new Local(Set.of(ENAM.get(0)), Set.of(), Set.of(), Set.of(), true);
      List<Action> actions = plan(List.of(A), claims, "node-a", leaving);
      assertThat(actions).containsExactly(new Release(ENAM.get(0)), new Release(ENAM.get(1)));
    }

    @Test
    void theOthersPlanWithoutANodeThatAnnouncedItsLeave() {
      List<Action> actions = PlacementPlan.plan(TOPOLOGY, List.of(A, B), Set.of("node-b"), Set.of("node-a", "node-b"),
          Map.of(), "node-a", NOTHING_HERE);
      assertThat(addresses(actions, Claim.class)).containsExactlyElementsOf(concat(ENAM, WEUR));
    }

    @Test
    void aHandOverUnderWayIsNotStartedTwice() {
      Local handingOver = new Local(Set.of(), Set.of(), Set.of(ENAM.get(0)), Set.of(), true);
      assertThat(plan(List.of(A), owned(ENAM.get(0), "node-a"), "node-a", handingOver)).isEmpty();
    }

    @Test
    void aMemberInItsGracePeriodIsNotReclaimedYet() {
      Local releasing = new Local(Set.of(), Set.copyOf(concat(ENAM, WEUR)), Set.of(), Set.of(), false);
      assertThat(plan(List.of(A), Map.of(), "node-a", releasing)).isEmpty();
    }

    @Test
    void aLocalCopyOfAMemberAnotherNodeClaimsIsUndeployed() {
      Local runsIt = local(Set.of(ENAM.get(0)));
      List<Action> actions = plan(List.of(A, B), owned(ENAM.get(0), "node-b"), "node-a", runsIt);
      assertThat(actions).contains(new UndeployDuplicate(ENAM.get(0)));
    }

    @Test
    void aMemberTakenOutOfServiceIsLeftAlone() {
      Local disabled = new Local(Set.of(), Set.of(), Set.of(), Set.of(ENAM.get(0)), false);
      assertThat(addresses(plan(List.of(A), Map.of(), "node-a", disabled), Claim.class)).doesNotContain(ENAM.get(0));
    }
  }

  private static List<Action> plan(List<ClusterView.NodeInfo> live, Map<String, String> claims, String self,
                                   Local local) {
    Set<String> membership = live.stream().map(ClusterView.NodeInfo::id).collect(Collectors.toSet());
    return PlacementPlan.plan(TOPOLOGY, live, Set.of(), membership, claims, self, local);
  }

  private static Local local(Set<String> deployed) {
    return new Local(deployed, Set.of(), Set.of(), Set.of(), false);
  }

  private static ClusterView.NodeInfo node(String id, String region) {
    return new ClusterView.NodeInfo(id, id, region, "http://127.0.0.1:0", List.of(region));
  }

  private static Map<String, String> owned(String address, String node) {
    return Map.of(address, node);
  }

  private static List<String> addresses(List<Action> actions, Class<? extends Action> kind) {
    return actions.stream().filter(kind::isInstance).map(Action::address).toList();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    return Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
  }
}
