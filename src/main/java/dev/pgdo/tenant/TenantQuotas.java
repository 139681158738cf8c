package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * Each tenant's disk quota in the registry ({@code tenants.max_bytes}: null for the default
 * {@code limits.maxTenantBytes}, 0 for none) and its database's size, for the admin API. The
 * enforcement is {@link DiskUsage}'s measurement and {@link TenantRestrictions}. Thread-safe.
 */
public final class TenantQuotas {

  /** Idempotent, so every node may run it at start (registries made before quotas existed). */
  static final String ADD_COLUMN = "ALTER TABLE public.tenants ADD COLUMN IF NOT EXISTS max_bytes int8";
  static final String ALL_QUOTAS = "SELECT id, max_bytes FROM public.tenants";
  private static final String SET_QUOTA = "UPDATE public.tenants SET max_bytes = $2 WHERE id = $1 RETURNING id";
  private static final String USAGE = """
      SELECT t.max_bytes,
             (SELECT pg_catalog.pg_database_size(d.oid) FROM pg_catalog.pg_database d WHERE d.datname = $2)
      FROM public.tenants t WHERE t.id = $1""";

  private final Pool admin;
  private final TenantNames names;
  private final long defaultMaxBytes;

  public TenantQuotas(Pool admin, TenantNames names, long defaultMaxBytes) {
    this.admin = admin;
    this.names = names;
    this.defaultMaxBytes = defaultMaxBytes;
  }

  public Future<Void> bootstrap() {
    return admin.query(ADD_COLUMN).execute().mapEmpty();
  }

  /**
   * Sets the tenant's quota: a positive number of bytes, 0 for none, null for the default.
   *
   * @return the tenant's usage as {@link #usage} answers it
   */
  public Future<JsonObject> setMaxBytes(String tenant, Long maxBytes) {
    if (maxBytes != null && maxBytes < 0) {
      return Future.failedFuture(new PgdoException(ErrorCode.INVALID_REQUEST,
          "maxBytes is a number of bytes (0: no quota), or null for the default"));
    }
    return admin.preparedQuery(SET_QUOTA).execute(Tuple.of(tenant, maxBytes)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new PgdoException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + tenant + "'"))
        : usage(tenant));
  }

  /**
   * {@code sizeBytes}: the database's size now (null if the admin user may not read it);
   * {@code maxBytes}: the quota in force (null: none); {@code quota}: {@code "default"} or {@code "tenant"}.
   */
  public Future<JsonObject> usage(String tenant) {
    return admin.preparedQuery(USAGE).execute(Tuple.of(tenant, names.of(tenant))).map(rows -> {
      if (rows.size() == 0) {
        throw new PgdoException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + tenant + "'");
      }
      Row row = rows.iterator().next();
      Long own = row.getLong(0);
      long max = own != null ? own : defaultMaxBytes;
      return new JsonObject()
          .put("sizeBytes", row.getLong(1))
          .put("maxBytes", max > 0 ? max : null)
          .put("quota", own != null ? "tenant" : "default");
    });
  }
}
