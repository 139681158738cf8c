package dev.pgdo.bus;

import java.util.regex.Pattern;

/**
 * Tenant id rules of API.md: {@code ^[a-z0-9][a-z0-9_-]{0,62}$}. Part of the bus contract (every
 * {@link QueryRequest} names a tenant), so it lives here and {@code tenant/} depends on it, not
 * the other way round.
 */
public final class TenantId {

  private static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  private TenantId() {
  }

  public static boolean isValid(String tenant) {
    return tenant != null && PATTERN.matcher(tenant).matches();
  }

  /** @throws PgdoException {@code invalid_tenant} when the id breaks the pattern */
  public static String require(String tenant) {
    if (!isValid(tenant)) {
      throw new PgdoException(ErrorCode.INVALID_TENANT,
          "tenant ids match ^[a-z0-9][a-z0-9_-]{0,62}$");
    }
    return tenant;
  }
}
