package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;

/** Translates PostgreSQL and client failures into API.md's error codes. Stateless. */
final class PgErrors {

  private PgErrors() {
  }

  /** The client refused a value for the type PostgreSQL inferred: the statement never ran. */
  static boolean isParameterTypeMismatch(Throwable t) {
    return !(t instanceof PgException) && t.getMessage() != null && t.getMessage().contains("can not be coerced");
  }

  /** A connection-level failure: the statement was not run, or its outcome is unknown. */
  static boolean isConnectionFailure(Throwable t) {
    if (t instanceof PgException pg) {
      String state = pg.getSqlState();
      return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
          || state.equals("57P03"));
    }
    return t instanceof java.io.IOException || (t.getMessage() != null && t.getMessage().contains("closed"));
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
        case "3D000", "28P01", "28000":
          return new PgdoException(ErrorCode.TENANT_NOT_FOUND, "the tenant has no database");
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
    String message = pg.getErrorMessage() != null ? pg.getErrorMessage() : pg.getMessage();
    return new PgdoException(ErrorCode.SQL_ERROR, message, details);
  }
}
