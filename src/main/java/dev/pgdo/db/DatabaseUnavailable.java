package dev.pgdo.db;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.io.IOException;

/**
 * PostgreSQL cannot be reached or cannot take a connection right now: the server is down or
 * starting (connection refused, SQLSTATE class 08, 57P01..57P03), a connection broke, or a pool
 * gave up waiting for one. Such a failure is the server's state, not the request's fault, so
 * every path (tenant queries, token lookups, admin calls) answers it {@code 503 no_compute} with
 * {@code Retry-After}, never 500. Stateless.
 *
 * <p>Told apart by exception type and SQLSTATE. The one exception: vertx-sql-client 5.0 fails a
 * pool's waiter at {@code PoolOptions.connectionTimeout} with a bare {@link NoStackTraceThrowable}
 * whose whole text is {@code "Timeout"} ({@code SqlConnectionPool.PoolRequest.onEnqueue}: what a
 * query needing a new connection gets from a hung server, which accepts the TCP connection and
 * never answers), or a {@link VertxException} of fixed text
 * ({@code SqlConnectionPool.POOL_QUERY_TIMEOUT_EXCEPTION}), and a closed pool likewise
 * ({@code SimpleConnectionPool.POOL_CLOSED_EXCEPTION}); those are matched on type and the whole
 * fixed text, never on loose words.
 */
public final class DatabaseUnavailable {

  /** SQLSTATE class 08: connection exception (08001 cannot connect, 08006 connection failure, ...). */
  private static final String CONNECTION_EXCEPTION_CLASS = "08";
  /** 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down). */
  private static final String SERVER_GONE_PREFIX = "57P0";
  /** {@code SqlConnectionPool.PoolRequest}: the waiter's {@code PoolOptions.connectionTimeout} expired. */
  static final String POOL_WAIT_TIMEOUT = "Timeout";
  /** {@code SqlConnectionPool}: no connection could be had within {@code PoolOptions.connectionTimeout}. */
  static final String POOL_TIMEOUT = "Timeout waiting for connection";
  /** {@code SimpleConnectionPool}: the pool was closed while the request waited. */
  static final String POOL_CLOSED = "Pool closed";

  private DatabaseUnavailable() {
  }

  /** True when {@code failure}, or a cause of it, says PostgreSQL is not reachable now. */
  public static boolean is(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof PgException pg) {
        String state = pg.getSqlState();
        if (state != null && (state.startsWith(CONNECTION_EXCEPTION_CLASS) || state.startsWith(SERVER_GONE_PREFIX))) {
          return true;
        }
      } else if (cause instanceof IOException // java.net.ConnectException (refused), resets, Netty's wrappers
          || cause instanceof ClosedConnectionException
          || cause instanceof ConnectionPoolTooBusyException
          || isPoolText(cause)) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  /** The 503 answer for a failure that {@link #is} one (a saturated pool included: the message covers both). */
  public static PgdoException unavailable() {
    return new PgdoException(ErrorCode.NO_COMPUTE, "the database is not reachable or has no connection free right now; retry");
  }

  private static boolean isPoolText(Throwable t) {
    if (t instanceof NoStackTraceThrowable) {
      return POOL_WAIT_TIMEOUT.equals(t.getMessage());
    }
    return t instanceof VertxException && !(t instanceof PgException)
        && (POOL_TIMEOUT.equals(t.getMessage()) || POOL_CLOSED.equals(t.getMessage()));
  }
}
