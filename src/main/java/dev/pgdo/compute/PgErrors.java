package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.LoggerFactory;

/** Translates PostgreSQL and client failures into API.md's error codes. Stateless. */
final class PgErrors {

  private PgErrors() {
  }

  /** The client refused a value for the type PostgreSQL inferred: the statement never ran. */
  static boolean isParameterTypeMismatch(Throwable t) {
    return !(t instanceof PgException) && t.getMessage() != null && t.getMessage().contains("can not be coerced");
  }

  /**
   * A connection-level failure (the connection broke or the server ended the session): the
   * statement was not run, or its outcome is unknown. Looks through the cause chain, since the
   * client reports a closed connection in several ways.
   */
  static boolean isConnectionFailure(Throwable t) {
    for (Throwable cause = t; cause != null; cause = cause.getCause()) {
      if (cause instanceof PgException pg) {
        String state = pg.getSqlState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
          return true;
        }
      } else if (cause instanceof java.io.IOException
          || cause.getClass().getSimpleName().contains("Closed")
          || (cause.getMessage() != null && cause.getMessage().contains("closed"))) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  /**
   * A cached prepared statement vanished from the session (e.g. dropped by a DEALLOCATE run
   * inside a function): the tenant's connections must be replaced.
   */
  static boolean isStatementCacheBroken(Throwable t) {
    return t instanceof PgException pg && "26000".equals(pg.getSqlState());
  }

  static PgdoException translate(Throwable t) {
    if (t instanceof PgdoException known) {
      return known;
    }
    if (t instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      switch (state) {
        case "57014":
          return new PgdoException(ErrorCode.QUERY_TIMEOUT, "the statement ran past its timeout and was cancelled");
        case "3D000", "28000":
          // the tenant's database or role is gone (deleted meanwhile): as for an unknown tenant
          return new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid tenant token");
        case "28P01":
          // nodes that disagree on tenantSecret derive different role passwords: an operator's problem
          LoggerFactory.getLogger(PgErrors.class).error("tenant role password rejected: is tenantSecret the same on every node?");
          return new PgdoException(ErrorCode.NO_COMPUTE, "the compute instance cannot log in to the tenant's database");
        case "53300", "53400":
          return new PgdoException(ErrorCode.NO_COMPUTE, "PostgreSQL has no connection slot free");
        default:
          if (isConnectionFailure(t)) {
            return new PgdoException(ErrorCode.NO_COMPUTE, "the database connection was lost");
          }
          return sqlError(pg, state);
      }
    }
    if (isConnectionFailure(t)) {
      return new PgdoException(ErrorCode.NO_COMPUTE, "the database connection was lost");
    }
    if (isParameterTypeMismatch(t)) {
      return new PgdoException(ErrorCode.INVALID_REQUEST, "a parameter does not fit the type PostgreSQL expects for it: "
          + t.getMessage() + " (cast it in the SQL, e.g. $1::text::interval)");
    }
    if (t.getMessage() != null && t.getMessage().contains("parameters")) {
      // e.g. the client's check of the parameter count against the prepared statement
      return new PgdoException(ErrorCode.INVALID_REQUEST, t.getMessage());
    }
    return new PgdoException(ErrorCode.INTERNAL_ERROR, "the query failed unexpectedly");
  }

  private static PgdoException sqlError(PgException pg, String state) {
    JsonObject details = new JsonObject().put("sqlState", state);
    if (pg.getPosition() != null) {
      details.put("position", Integer.parseInt(pg.getPosition()));
    }
    if (pg.getDetail() != null) {
      details.put("detail", pg.getDetail());
    }
    if (pg.getHint() != null) {
      details.put("hint", pg.getHint());
    }
    // The rest of PostgreSQL's error fields, under node-postgres's names: the Neon dialect hands them to
    // the driver's NeonDbError, and they name the object at fault (e.g. the violated constraint).
    putIfSet(details, "severity", pg.getSeverity());
    putIfSet(details, "where", pg.getWhere());
    putIfSet(details, "schema", pg.getSchema());
    putIfSet(details, "table", pg.getTable());
    putIfSet(details, "column", pg.getColumn());
    putIfSet(details, "dataType", pg.getDataType());
    putIfSet(details, "constraint", pg.getConstraint());
    putIfSet(details, "internalPosition", pg.getInternalPosition());
    putIfSet(details, "internalQuery", pg.getInternalQuery());
    String message = pg.getErrorMessage() != null ? pg.getErrorMessage() : pg.getMessage();
    return new PgdoException(ErrorCode.SQL_ERROR, message, details);
  }

  private static void putIfSet(JsonObject details, String key, String value) {
    if (value != null) {
      details.put(key, value);
    }
  }
}
