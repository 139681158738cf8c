package dev.pgdo.client;

import dev.pgdo.bus.Addresses;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a tenant's query goes, the same way for HTTP and bus callers: colo → location region →
 * serving region ({@code servedBy}), then the tenant's rendezvous order over that region's
 * members. The first member is the tenant's home; the others, in order, are its fallbacks when
 * the home is absent or lost. Pure: a function of the topology.
 */
public final class MemberRouter {

  /** One tenant's route: the serving region and its member addresses, home first. */
  public record Route(String region, List<String> members) {
  }

  private final Topology topology;

  public MemberRouter(Topology topology) {
    this.topology = topology;
  }

  /** The region whose pool serves requests from {@code colo} (null: the default region). */
  public String servingRegion(String colo) {
    return topology.poolRegion(topology.locationRegion(colo));
  }

  /** The members that may run {@code tenant}'s queries from {@code colo}, in the order to try them. */
  public Route route(String tenant, String colo) {
    String region = servingRegion(colo);
    int[] order = Rendezvous.order(tenant, topology.poolSize(region));
    List<String> members = new ArrayList<>(order.length);
    for (int index : order) {
      members.add(Addresses.compute(region, index));
    }
    return new Route(region, List.copyOf(members));
  }

  /** Every member of the region serving {@code colo}, by index: where a cancel is fanned out. */
  public List<String> allMembers(String colo) {
    String region = servingRegion(colo);
    List<String> members = new ArrayList<>();
    for (int i = 0; i < topology.poolSize(region); i++) {
      members.add(Addresses.compute(region, i));
    }
    return members;
  }
}
