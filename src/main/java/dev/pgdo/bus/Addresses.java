package dev.pgdo.bus;

/** Every event-bus address the service uses. Region ids are {@code [a-z]+}, so dots are safe separators. */
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

  private Addresses() {
  }

  /** The public address of one shared compute instance, e.g. {@code shared-compute.enam.0}. */
  public static String compute(String region, int index) {
    return "shared-compute." + region + "." + index;
  }
}
