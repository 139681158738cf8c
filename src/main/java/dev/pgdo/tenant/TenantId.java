package dev.pgdo.tenant;

/**
 * Moved to {@link dev.pgdo.bus.TenantId} (the bus contract must not depend on {@code tenant/});
 * this delegate keeps the callers of open branches compiling until they are merged.
 */
@Deprecated(forRemoval = true)
public final class TenantId {

  private TenantId() {
  }

  public static boolean isValid(String tenant) {
    return dev.pgdo.bus.TenantId.isValid(tenant);
  }

  public static String require(String tenant) {
    return dev.pgdo.bus.TenantId.require(tenant);
  }
}
