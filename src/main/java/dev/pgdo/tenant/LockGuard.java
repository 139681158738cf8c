package dev.pgdo.tenant;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * Watches PostgreSQL's shared lock table, which every database of the server shares: one
 * session that fills it makes every other session's statements fail with 53200 "out of shared
 * memory". Each {@link #sample} is one aggregate query over {@code pg_locks} (which takes each
 * lock-table partition lock briefly, in shared mode) joined to {@code pg_stat_activity}, grouped
 * by tenant role; {@link #end} cancels, then terminates, every backend of an offending role
 * (the member's pooled connections are dropped by their pool when the server closes them).
 * Stateless apart from its threshold: the caller owns the connection and the rate.
 */
final class LockGuard {

  /** The lock table's size in entries, as PostgreSQL sizes it. */
  static final String LOCK_TABLE_SIZE = """
      SELECT current_setting('max_locks_per_transaction')::int8
             * (current_setting('max_connections')::int8 + current_setting('max_prepared_transactions')::int8)""";

  /** Tenant roles holding more than {@code $1} lock-table entries, all their sessions together. */
  private static final String OFFENDERS = """
      SELECT a.usename::text, count(*)
      FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE a.usename ~ $2
      GROUP BY a.usename
      HAVING count(*) > $1""";

  private static final String CANCEL = "SELECT count(pg_catalog.pg_cancel_backend(pid)) "
      + "FROM pg_catalog.pg_stat_activity WHERE usename = $1";
  private static final String TERMINATE = "SELECT count(pg_catalog.pg_terminate_backend(pid)) "
      + "FROM pg_catalog.pg_stat_activity WHERE usename = $1";

  /** The default share of the lock table one tenant may hold: a tenth. */
  static final int DEFAULT_SHARE_DIVISOR = 10;

  private final long maxLocksPerTenant;

  LockGuard(long maxLocksPerTenant) {
    this.maxLocksPerTenant = maxLocksPerTenant;
  }

  long maxLocksPerTenant() {
    return maxLocksPerTenant;
  }

  /** A role over the limit, with the number of lock-table entries its sessions held. */
  record Offender(String role, long locks) {
  }

  Future<List<Offender>> sample(SqlConnection conn) {
    return conn.preparedQuery(OFFENDERS).execute(Tuple.of(maxLocksPerTenant, TenantNames.SQL_PATTERN)).map(rows -> {
      List<Offender> offenders = new ArrayList<>();
      for (Row row : rows) {
        offenders.add(new Offender(row.getString(0), row.getLong(1)));
      }
      return offenders;
    });
  }

  /** Cancels the role's running statements, then ends its sessions; answers how many were ended. */
  Future<Long> end(SqlConnection conn, String role) {
    return conn.preparedQuery(CANCEL).execute(Tuple.of(role))
        .compose(cancelled -> conn.preparedQuery(TERMINATE).execute(Tuple.of(role)))
        .map(rows -> rows.iterator().next().getLong(0));
  }
}
