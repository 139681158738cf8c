package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.pgclient.PgException;

/**
 * PostgreSQL out of a shared resource (SQLSTATE class 53: 53000 insufficient resources, 53100
 * disk full, 53200 out of memory, 53300 too many connections, 53400 configuration limit
 * exceeded), told apart by SQLSTATE, never by message text. The service's own admin calls
 * answer such a failure with 503 and {@code Retry-After}: it is the server's state, not a bug.
 * Stateless.
 */
public final class ServerExhaustion {

  private ServerExhaustion() {
  }

  public static boolean is(Throwable failure) {
    return sqlState(failure) != null;
  }

  /** The 503 answer for a failure that {@link #is} one. */
  public static PgdoException unavailable(Throwable failure) {
    String state = sqlState(failure);
    return new PgdoException(ErrorCode.NO_COMPUTE, "PostgreSQL is out of a shared resource; retry",
        new io.vertx.core.json.JsonObject().put("sqlState", state != null ? state : "53000"));
  }

  /** The class-53 SQLSTATE anywhere in the cause chain (the client may wrap it), else null. */
  private static String sqlState(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("53")) {
        return pg.getSqlState();
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return null;
  }
}
