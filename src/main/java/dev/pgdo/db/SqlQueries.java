package dev.pgdo.db;

/**
 * The service's own SQL, in one place. Tenant SQL never appears here: it is bound, never built.
 *
 * <p>Catalog relations, functions and types are named with their schema ({@code pg_catalog.}),
 * and statements sent on a tenant's connection also spell their operators
 * {@code OPERATOR(pg_catalog.=)}: a tenant may create same-named objects in its own schemas,
 * temporary ones included, and put them first on its {@code search_path}, but cannot change
 * what these statements mean.
 */
public final class SqlQueries {

  private SqlQueries() {
  }

  public static final String DATABASE_EXISTS = "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1";
  public static final String ROLE_EXISTS = "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1";

  public static final String CREATE_TENANTS_TABLE = """
      CREATE TABLE IF NOT EXISTS tenants (
        id               text        PRIMARY KEY,
        token_hash       bytea       NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
        token_rotated_at timestamptz
      )""";

  public static final String INSERT_TENANT =
      "INSERT INTO tenants (id, token_hash) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING created_at";
  public static final String TOKEN_HASH = "SELECT token_hash FROM tenants WHERE id = $1";
  public static final String ROTATE_TOKEN =
      "UPDATE tenants SET token_hash = $2, token_rotated_at = pg_catalog.now() WHERE id = $1 RETURNING id";
  public static final String DELETE_TENANT = "DELETE FROM tenants WHERE id = $1 RETURNING id";
  public static final String DESCRIBE_TENANT =
      "SELECT id, created_at, token_rotated_at FROM tenants WHERE id = $1";
  /** Serialises the admin operations on one tenant across nodes (session-level advisory lock, waited for under lock_timeout). */
  public static final String LOCK_TENANT = "SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))";
  public static final String UNLOCK_TENANT = "SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtextextended($1, 0))";
  public static final String LIST_TENANTS = "SELECT id FROM tenants ORDER BY created_at DESC LIMIT $1";

  /**
   * The parameter types PostgreSQL inferred for a statement this session has prepared, as type
   * names ({@code int8}, {@code _int4}, {@code jsonb}, ...), in parameter order.
   */
  public static final String PARAMETER_TYPES = """
      SELECT ARRAY(SELECT t.typname::pg_catalog.text
                   FROM pg_catalog.unnest(p.parameter_types) WITH ORDINALITY AS u(oid, n)
                   JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) u.oid
                   ORDER BY u.n)
      FROM pg_catalog.pg_prepared_statements p
      WHERE p.statement OPERATOR(pg_catalog.=) $1""";

  public static final String PING = "SELECT 1";

  /**
   * Idempotency records live in the tenant's own database, so a keyed write and the record of
   * its answer commit in the same transaction: exactly once, whatever fails in between.
   */
  public static final String CREATE_IDEMPOTENCY_TABLE = """
      CREATE TABLE IF NOT EXISTS public._pgdo_idempotency (
        key        pg_catalog.text        PRIMARY KEY,
        response   pg_catalog.jsonb       NOT NULL,
        created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
      )""";
  public static final String FIND_IDEMPOTENT_RESPONSE = "SELECT response FROM public._pgdo_idempotency WHERE key OPERATOR(pg_catalog.=) $1";
  public static final String SAVE_IDEMPOTENT_RESPONSE =
      "INSERT INTO public._pgdo_idempotency (key, response) VALUES ($1, $2)";
  public static final String PURGE_IDEMPOTENCY =
      "DELETE FROM public._pgdo_idempotency WHERE created_at OPERATOR(pg_catalog.<) "
      + "(pg_catalog.now() OPERATOR(pg_catalog.-) '24 hours'::pg_catalog.interval)";
}
