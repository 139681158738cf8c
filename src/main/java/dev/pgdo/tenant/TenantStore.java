package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.db.DatabaseUnavailable;
import dev.pgdo.db.SqlQueries;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static dev.pgdo.tenant.TenantNames.quote;

/**
 * The tenant registry (table {@code tenants} in the service's metadata database, which no tenant
 * role may connect to) and the provisioning of each tenant's own role and database.
 *
 * <p>Runs on whatever context calls it; every method is asynchronous and non-blocking.
 */
public final class TenantStore {

  private static final Logger log = LoggerFactory.getLogger(TenantStore.class);

  /** How long an admin call waits for a running one on the same tenant before answering 503. */
  static final int TENANT_LOCK_WAIT_MS = 5_000;
  /** SQLSTATE 55P03: lock_timeout expired while waiting. */
  private static final String LOCK_NOT_AVAILABLE = "55P03";

  private final Pool admin;
  private final Secrets secrets;
  private final TenantNames names;
  private final int statementTimeoutMs;
  private final int roleConnectionLimit;
  private final RoleLimits roleLimits;
  private final TenantQuotas quotas;

  /**
   * @param admin a pool of admin connections to the metadata database
   * @param roleConnectionLimit the CONNECTION LIMIT of each tenant role
   * @param roleLimits settings every tenant role gets that the tenant cannot raise
   * @param defaultMaxBytes the disk quota of tenants without their own (0: none)
   */
  public TenantStore(Pool admin, Secrets secrets, int statementTimeoutMs, int roleConnectionLimit,
                     RoleLimits roleLimits, long defaultMaxBytes) {
    this.admin = admin;
    this.secrets = secrets;
    this.names = new TenantNames(secrets);
    this.statementTimeoutMs = statementTimeoutMs;
    this.roleConnectionLimit = roleConnectionLimit;
    this.roleLimits = roleLimits;
    this.quotas = new TenantQuotas(admin, names, defaultMaxBytes);
  }

  /** Disk quotas and sizes of the tenants of this registry. */
  public TenantQuotas quotas() {
    return quotas;
  }

  /** Proves the database answers. */
  public Future<Void> ping() {
    return admin.query(SqlQueries.PING).execute().mapEmpty();
  }

  /**
   * Creates the registry table and closes the metadata database to everyone but the service.
   *
   * @param ownsServer true for the node's embedded PostgreSQL: then PUBLIC also loses CONNECT on
   *                   the server's own databases ({@code postgres}, {@code template1}); a shared
   *                   server's other databases are its operator's business
   */
  public Future<Void> bootstrap(String metadataDb, boolean ownsServer) {
    Future<Void> done = admin.query(SqlQueries.CREATE_TENANTS_TABLE).execute()
        .compose(v -> quotas.bootstrap())
        .compose(v -> roleLimits.applyToAll(admin))
        .compose(v -> admin.query("REVOKE ALL ON DATABASE " + quote(metadataDb) + " FROM PUBLIC").execute())
        .compose(v -> admin.query("REVOKE ALL ON SCHEMA public FROM PUBLIC").execute())
        .mapEmpty();
    return !ownsServer ? done : done
        .compose(v -> admin.query("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC").execute())
        .compose(v -> admin.query("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC").execute())
        .mapEmpty();
  }

  /** @return {@code {"tenant", "token"}}; fails with {@code tenant_exists} if the id is taken */
  public Future<JsonObject> create(String tenant) {
    String token = Secrets.newToken();
    return withTenantLock(tenant, conn -> conn.preparedQuery(SqlQueries.INSERT_TENANT)
        .execute(Tuple.of(tenant, Secrets.hash(token)))
        .compose(rows -> {
          if (rows.rowCount() == 0) {
            return Future.failedFuture(new PgdoException(ErrorCode.TENANT_EXISTS, "tenant '" + tenant + "' exists"));
          }
          return provision(conn, tenant)
              .recover(err -> {
                log.error("provisioning tenant {} failed: {}", tenant, err.getMessage());
                return deprovision(conn, tenant)
                    .eventually(() -> conn.preparedQuery(SqlQueries.DELETE_TENANT).execute(Tuple.of(tenant)))
                    .transform(ignored -> Future.failedFuture(ServerExhaustion.is(err)
                        ? ServerExhaustion.unavailable(err)
                        : DatabaseUnavailable.is(err) ? DatabaseUnavailable.unavailable()
                        : new PgdoException(ErrorCode.INTERNAL_ERROR, "the tenant could not be provisioned")));
              })
              .map(v -> new JsonObject().put("tenant", tenant).put("token", token));
        }));
  }

  /** @return {@code {"tenant", "token"}} with a new token; the old one stops matching */
  public Future<JsonObject> rotateToken(String tenant) {
    String token = Secrets.newToken();
    return admin.preparedQuery(SqlQueries.ROTATE_TOKEN).execute(Tuple.of(tenant, Secrets.hash(token)))
        .map(rows -> {
          requireFound(rows, tenant);
          return new JsonObject().put("tenant", tenant).put("token", token);
        });
  }

  /** Removes the tenant from the registry first (so it can no longer authenticate), then drops its data. */
  public Future<Void> delete(String tenant) {
    return withTenantLock(tenant, conn -> conn.preparedQuery(SqlQueries.DELETE_TENANT).execute(Tuple.of(tenant))
        .compose(rows -> {
          requireFound(rows, tenant);
          return deprovision(conn, tenant);
        }));
  }

  /**
   * Runs {@code work} on one admin connection holding a PostgreSQL advisory lock on the tenant
   * id, so that creating and deleting the same tenant never interleave, on any node. A call that
   * finds the lock taken waits for it, at most {@link #TENANT_LOCK_WAIT_MS} (PostgreSQL's
   * {@code lock_timeout}, so the wait is PostgreSQL's and no event loop blocks), and then does its
   * own work against what the first call left: concurrent creates of one new tenant answer one
   * 201 and 409 for the rest. A wait past the bound answers 503 with {@code Retry-After}.
   * A waiting call holds one admin connection; the pool's size and wait queue bound them.
   */
  private <T> Future<T> withTenantLock(String tenant, Function<SqlConnection, Future<T>> work) {
    return admin.withConnection(conn -> lock(conn, tenant)
        .compose(locked -> work.apply(conn)
            .eventually(() -> conn.preparedQuery(SqlQueries.UNLOCK_TENANT).execute(Tuple.of(tenant)))));
  }

  /** Takes the tenant's advisory lock, waiting at most {@link #TENANT_LOCK_WAIT_MS}. */
  private static Future<Void> lock(SqlConnection conn, String tenant) {
    return conn.query("SET lock_timeout = " + TENANT_LOCK_WAIT_MS).execute()
        .compose(set -> conn.preparedQuery(SqlQueries.LOCK_TENANT).execute(Tuple.of(tenant)))
        // the work's own DDL must not inherit the bound meant for this wait; a failed reset leaves
        // only a bounded lock wait behind, so it does not fail the call
        .transform(locked -> conn.query("RESET lock_timeout").execute().otherwiseEmpty()
            .transform(reset -> locked.succeeded() ? Future.<Void>succeededFuture()
                : Future.failedFuture(LOCK_NOT_AVAILABLE.equals(sqlState(locked.cause()))
                    ? new PgdoException(ErrorCode.NO_COMPUTE, "another admin call on tenant '" + tenant
                        + "' has been running for over " + TENANT_LOCK_WAIT_MS + " ms; retry")
                    : locked.cause())));
  }

  private static String sqlState(Throwable failure) {
    return failure instanceof PgException pg ? pg.getSqlState() : null;
  }

  public Future<JsonObject> describe(String tenant) {
    return admin.preparedQuery(SqlQueries.DESCRIBE_TENANT).execute(Tuple.of(tenant))
        .map(rows -> {
          requireFound(rows, tenant);
          Row row = rows.iterator().next();
          return new JsonObject()
              .put("tenant", tenant)
              .put("createdAt", iso(row.getOffsetDateTime("created_at")))
              .put("tokenRotatedAt", iso(row.getOffsetDateTime("token_rotated_at")))
              .put("database", names.of(tenant));
        });
  }

  /** @return the stored token hash, or null for an unknown tenant */
  public Future<byte[]> tokenHash(String tenant) {
    return admin.preparedQuery(SqlQueries.TOKEN_HASH).execute(Tuple.of(tenant))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBuffer(0).getBytes());
  }

  /** The most recently created tenants, newest first, at most {@code limit}. */
  public Future<List<String>> recentTenants(int limit) {
    return admin.preparedQuery(SqlQueries.LIST_TENANTS).execute(Tuple.of(limit))
        .map(rows -> {
          List<String> ids = new ArrayList<>();
          rows.forEach(row -> ids.add(row.getString(0)));
          return ids;
        });
  }

  private Future<Void> provision(SqlConnection conn, String tenant) {
    String name = names.of(tenant);
    String role = quote(name);
    // The SCRAM secret (Secrets.roleVerifier) is safe as a literal; DDL cannot take bind parameters. The role
    // inherits (the default) so that, as database owner, it gets pg_database_owner's rights on
    // the public schema on PostgreSQL 15+ (on 14 PUBLIC may still create there, but only the
    // tenant can connect to its database); it is a member of no other role.
    String createRole = "CREATE ROLE " + role + " LOGIN PASSWORD '" + secrets.roleVerifier(name) + "'"
        + " NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        + " CONNECTION LIMIT " + roleConnectionLimit;
    return conn.preparedQuery(SqlQueries.ROLE_EXISTS).execute(Tuple.of(name))
        .compose(rows -> rows.size() > 0
            // leftovers of an interrupted delete: the database goes first, its owner then can
            ? conn.query("DROP DATABASE IF EXISTS " + role + " WITH (FORCE)").execute()
                .compose(v -> conn.query("DROP ROLE " + role).execute())
            : Future.succeededFuture())
        .compose(v -> conn.query(createRole).execute())
        .compose(v -> conn.query("ALTER ROLE " + role + " SET statement_timeout = " + statementTimeoutMs).execute())
        .compose(v -> conn.query("ALTER ROLE " + role + " SET idle_in_transaction_session_timeout = "
            + statementTimeoutMs).execute())
        .compose(v -> roleLimits.apply(conn, name))
        .compose(v -> conn.query("CREATE DATABASE " + role + " OWNER " + role).execute())
        .compose(v -> conn.query("REVOKE ALL ON DATABASE " + role + " FROM PUBLIC").execute())
        .mapEmpty();
  }

  private Future<Void> deprovision(SqlConnection conn, String tenant) {
    String role = quote(names.of(tenant));
    return conn.query("DROP DATABASE IF EXISTS " + role + " WITH (FORCE)").execute()
        .compose(v -> conn.query("DROP ROLE IF EXISTS " + role).execute())
        .mapEmpty();
  }

  private static void requireFound(RowSet<Row> rows, String tenant) {
    if (rows.size() == 0) {
      throw new PgdoException(ErrorCode.TENANT_NOT_FOUND, "no tenant '" + tenant + "'");
    }
  }

  private static String iso(OffsetDateTime time) {
    return time == null ? null : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time);
  }
}
