package dev.pgdo.tenant;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.pgdo.tenant.TenantNames.quote;

/**
 * Settings on each tenant role that the tenant cannot raise: {@code temp_file_limit} is a
 * superuser-only setting, so a value set with {@code ALTER ROLE ... SET} binds every session of
 * the role. Applied when a tenant is provisioned and, at start, to every tenant role that lacks
 * it (one catalog query; idempotent). An admin user that is not a superuser cannot set it: the
 * service then logs once and goes on without the limit. Thread-safe.
 */
public final class RoleLimits {

  private static final Logger log = LoggerFactory.getLogger(RoleLimits.class);
  private static final String INSUFFICIENT_PRIVILEGE = "42501";

  /** Tenant roles whose role-wide settings lack {@code $1} (e.g. {@code temp_file_limit=1024MB}). */
  private static final String ROLES_LACKING = """
      SELECT r.rolname::text FROM pg_catalog.pg_roles r
      WHERE r.rolname ~ $2
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s
                        WHERE s.setrole = r.oid AND s.setdatabase = 0 AND $1 = ANY (s.setconfig))""";

  private final long tempFileLimitMb;
  private final AtomicBoolean warned = new AtomicBoolean();

  /** @param tempFileLimitMb 0: no limit is set */
  public RoleLimits(long tempFileLimitMb) {
    this.tempFileLimitMb = tempFileLimitMb;
  }

  /** Sets the limits on one role. Never fails for lack of privilege (logs once instead). */
  public Future<Void> apply(SqlClient admin, String role) {
    if (tempFileLimitMb == 0) {
      return Future.succeededFuture();
    }
    return admin.query("ALTER ROLE " + quote(role) + " SET temp_file_limit = '" + tempFileLimitMb + "MB'").execute()
        .<Void>mapEmpty()
        .recover(this::toleratePrivilege);
  }

  /** At start: sets the limits on every tenant role that does not have them yet. */
  public Future<Void> applyToAll(Pool admin) {
    if (tempFileLimitMb == 0) {
      return Future.succeededFuture();
    }
    return admin.preparedQuery(ROLES_LACKING)
        .execute(Tuple.of("temp_file_limit=" + tempFileLimitMb + "MB", TenantNames.SQL_PATTERN))
        .compose(rows -> {
          List<String> roles = new ArrayList<>();
          for (Row row : rows) {
            roles.add(row.getString(0));
          }
          Future<Void> chain = Future.succeededFuture();
          for (String role : roles) {
            chain = chain.compose(v -> apply(admin, role));
          }
          if (!roles.isEmpty()) {
            log.info("set temp_file_limit = {}MB on {} tenant roles", tempFileLimitMb, roles.size());
          }
          return chain;
        });
  }

  private Future<Void> toleratePrivilege(Throwable err) {
    if (err instanceof PgException pg && INSUFFICIENT_PRIVILEGE.equals(pg.getSqlState())) {
      if (warned.compareAndSet(false, true)) {
        log.warn("tenant roles get no temp_file_limit: database.url's user may not set it (needs superuser): {}",
            pg.getErrorMessage());
      }
      return Future.succeededFuture();
    }
    return Future.failedFuture(err);
  }
}
