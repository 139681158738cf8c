package dev.pgdo.bus;

import java.util.UUID;

/**
 * Every event-bus address and cluster-wide map name the service uses. Region ids are
 * {@code [a-z]+}, so dots are safe separators.
 */
public final class Addresses {

  /** Published when a tenant is deleted or its token rotated: drop cached credentials and pools. */
  public static final String TENANT_CHANGED = "pgdo.control.tenant-changed";

  /**
   * Published inside one node (local consumers only) when a statement waits for the node's
   * spent connection budget: each member then closes its coldest idle tenant pool. The body is
   * the waiting tenant, whose own pool is spared.
   */
  public static final String BUDGET_PRESSURE = "pgdo.local.budget-pressure";

  /**
   * Published cluster-wide by the node that guards the shared PostgreSQL (lock-table offenders,
   * disk measurements) and by admin calls that change a quota; every node keeps the findings.
   */
  public static final String RESOURCE_GUARD = "pgdo.control.resource-guard";

  /** Published when a node gives members back or a member is taken out of service: everyone runs a placement round. */
  public static final String PLACEMENT_CHANGED = "pgdo.control.placement-changed";

  /** Published with the Vert.x node id of a node that is about to leave gracefully. */
  public static final String NODE_LEAVING = "pgdo.control.node-leaving";

  /** Cluster-wide map: member address → Vert.x node id of the node that holds its claim. */
  public static final String PLACEMENT_MAP = "pgdo.placement";

  /**
   * Cluster-wide map: Vert.x node id → node name, for every node whose placement verticle runs.
   * Only those nodes are given members: a node is visible in the cluster seconds before it can
   * deploy one, and a member handed to it earlier would be absent meanwhile.
   */
  public static final String PLACING_NODES_MAP = "pgdo.placing-nodes";

  /** Cluster-wide map: member address → the tenants its last host kept warm, for the next host to pre-warm. */
  public static final String RECENT_TENANTS_MAP = "pgdo.recent-tenants";

  private Addresses() {
  }

  /** A fresh address where one client receives members' receipts of its queries (see {@link BusHeaders#ACK_TO}). */
  public static String receipts() {
    return "pgdo.ack." + UUID.randomUUID();
  }

  /**
   * The node-local address where a member is told to hand over: it stops running queries
   * (answering {@link ErrorCode#MEMBER_MOVED}) and replies once its running statements are done.
   */
  public static String handOver(String memberAddress) {
    return "pgdo.local.hand-over." + memberAddress;
  }

  /** The public address of one shared compute instance, e.g. {@code shared-compute.enam.0}. */
  public static String compute(String region, int index) {
    return "shared-compute." + region + "." + index;
  }
}
