package dev.pgdo.tenant;

/**
 * The PostgreSQL database and role of a tenant (the same string: the role owns the database):
 * {@code t_} + the first 24 hex digits (96 bits) of HMAC-SHA256(tenantSecret,
 * {@code "tenant-name:" + tenant}). The names are opaque on purpose: PostgreSQL's catalogs
 * ({@code pg_database}, {@code pg_roles}, {@code pg_stat_activity}) are readable by every role,
 * so names derived from tenant ids in clear would list every tenant to every other one. Every
 * node that shares the secret derives the same names. Thread-safe.
 */
public final class TenantNames {

  /** A POSIX regular expression (for SQL's {@code ~}) that matches exactly the names {@link #of} makes. */
  public static final String SQL_PATTERN = "^t_[0-9a-f]{24}$";

  private final Secrets secrets;

  public TenantNames(Secrets secrets) {
    this.secrets = secrets;
  }

  public String of(String tenant) {
    return "t_" + secrets.hmacHex("tenant-name:" + tenant).substring(0, 24);
  }

  /** Quotes an identifier for SQL text. Derived names never hold '"', but quoting stays correct anyway. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
