package dev.pgdo.client;

import dev.pgdo.config.ConfigLoader;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("MemberRouter: a tenant's members, home first, over the region that serves its colo")
class MemberRouterTest {

  private static final Topology TOPOLOGY = ConfigLoader.load(new String[0], Map.of()).topology();
  private final MemberRouter router = new MemberRouter(TOPOLOGY);

  @ParameterizedTest(name = "colo {0} is served by {1}")
  @CsvSource(nullValues = "none", value = {
      "ORD, enam", // a colo of a pooled region
      "LHR, weur",
      "GRU, enam", // sam has no pool: servedBy enam
      "JNB, eeur", // afr: servedBy eeur
      "none, enam", // no colo: the default region
      "XXX, enam"}) // an unknown colo: the default region
  void servingRegion(String colo, String region) {
    assertThat(router.servingRegion(colo)).isEqualTo(region);
    assertThat(router.route("acme", colo).region()).isEqualTo(region);
  }

  @Test
  void homeIsTheRendezvousWinnerAndFallbacksFollowTheTenantsOrder() {
    for (String tenant : List.of("acme", "globex", "initech", "t-1", "t-2")) {
      MemberRouter.Route route = router.route(tenant, "ORD");
      int poolSize = TOPOLOGY.poolSize("enam");
      assertThat(route.members()).first().isEqualTo("shared-compute.enam." + Rendezvous.winner(tenant, poolSize));
      assertThat(route.members()).containsExactlyElementsOf(
          Arrays.stream(Rendezvous.order(tenant, poolSize)).mapToObj(i -> "shared-compute.enam." + i).toList());
    }
  }

  @Test
  void everyMemberOfTheRegionAppearsOnceInEveryRoute() {
    MemberRouter.Route route = router.route("acme", "LHR");
    assertThat(route.members()).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(router.allMembers("LHR"));
  }

  @Test
  void cancelsGoToEveryMemberByIndex() {
    assertThat(router.allMembers("SYD")).containsExactly("shared-compute.oc.0", "shared-compute.oc.1");
  }
}
