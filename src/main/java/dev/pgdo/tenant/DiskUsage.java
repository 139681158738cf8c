package dev.pgdo.tenant;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures every tenant database ({@code pg_database_size}, which adds up the sizes of the
 * database's files: its cost grows with the number of files, hence a bounded rate) and tells
 * which tenants are over their quota: the tenant's {@code max_bytes} in the registry if set
 * ({@code 0}: none), else {@code limits.maxTenantBytes}. Stateless.
 */
final class DiskUsage {

  private static final String SIZES = "SELECT d.datname::text, pg_catalog.pg_database_size(d.oid) "
      + "FROM pg_catalog.pg_database d WHERE d.datname ~ $1";

  private final TenantNames names;
  private final long defaultMaxBytes;

  DiskUsage(TenantNames names, long defaultMaxBytes) {
    this.names = names;
    this.defaultMaxBytes = defaultMaxBytes;
  }

  /** One measurement: the totals and the roles over quota ({@code overQuota}). */
  Future<JsonObject> measure(SqlConnection conn) {
    Future<Map<String, Long>> quotas = conn.query(TenantQuotas.ALL_QUOTAS).execute().map(rows -> {
      Map<String, Long> byRole = new HashMap<>();
      for (Row row : rows) {
        Long own = row.getLong(1);
        byRole.put(names.of(row.getString(0)), own != null ? own : defaultMaxBytes);
      }
      return byRole;
    });
    return quotas.compose(byRole -> conn.preparedQuery(SIZES).execute(io.vertx.sqlclient.Tuple.of(TenantNames.SQL_PATTERN))
        .map(rows -> {
          long total = 0;
          List<String> over = new ArrayList<>();
          for (Row row : rows) {
            long size = row.getLong(1);
            total += size;
            long max = byRole.getOrDefault(row.getString(0), defaultMaxBytes);
            if (max > 0 && size > max) {
              over.add(row.getString(0));
            }
          }
          return new JsonObject()
              .put("tenantBytes", total)
              .put("tenantDatabases", rows.size())
              .put("tenantsOverQuota", over.size())
              .put("measuredAt", Instant.now().toString())
              .put("overQuota", new JsonArray(over));
        }));
  }
}
