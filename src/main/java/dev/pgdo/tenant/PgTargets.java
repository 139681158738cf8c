package dev.pgdo.tenant;

import dev.pgdo.db.MemorySettings;
import io.vertx.pgclient.PgConnectOptions;

/**
 * Where connections go: the service's own admin connections (a superuser or a role with
 * CREATEDB and CREATEROLE, from {@code database.url}) and tenant connections, which log in as the
 * tenant's own role to the tenant's own database. Immutable and thread-safe.
 */
public final class PgTargets {

  /** Statements shorter than this stay prepared on each tenant connection (the client's statement cache). */
  public static final int STATEMENT_CACHE_SQL_LIMIT = 16 * 1024;

  private final PgConnectOptions admin;
  private final Secrets secrets;
  private final TenantNames names;
  private final int statementTimeoutMs;
  private final MemorySettings memory;

  /** @param statementTimeoutMs sent as {@code statement_timeout} when a tenant connection starts */
  public PgTargets(String url, Secrets secrets, int statementTimeoutMs) {
    this(url, secrets, statementTimeoutMs, MemorySettings.none());
  }

  /** @param memory memory settings sent when a tenant connection starts (they outrank the tenant's role defaults) */
  public PgTargets(String url, Secrets secrets, int statementTimeoutMs, MemorySettings memory) {
    this.admin = PgConnectOptions.fromUri(url);
    this.secrets = secrets;
    this.names = new TenantNames(secrets);
    this.statementTimeoutMs = statementTimeoutMs;
    this.memory = memory;
  }

  /** Admin connection options to {@code database}. */
  public PgConnectOptions admin(String database) {
    return new PgConnectOptions(admin).setDatabase(database);
  }

  /** Options to connect as the tenant's role to the tenant's database; statements are cached per connection. */
  public PgConnectOptions tenant(String tenant) {
    String name = names.of(tenant);
    PgConnectOptions options = new PgConnectOptions(admin);
    memory.startupParameters().forEach(options::addProperty);
    return options
        .setDatabase(name)
        .setUser(name)
        .setPassword(secrets.rolePassword(name))
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(128)
        .setPreparedStatementCacheSqlLimit(STATEMENT_CACHE_SQL_LIMIT) // compute narrows this to texts without literals
        .setReconnectAttempts(0)
        // One command on the wire at a time: the wire tap attributes each RowDescription,
        // CommandComplete and ReadyForQuery to the command in flight, and a statement queued
        // behind a pipelined one (the session reset) must not take over its description.
        .setPipeliningLimit(1)
        .addProperty("statement_timeout", Integer.toString(statementTimeoutMs))
        .addProperty("idle_in_transaction_session_timeout", Integer.toString(statementTimeoutMs));
  }

  public Secrets secrets() {
    return secrets;
  }
}
