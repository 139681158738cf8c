package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.db.DatabaseUnavailable;
import io.vertx.core.json.JsonObject;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Translates PostgreSQL and client failures into API.md's error codes. Stateless.
 *
 * <p>Failures are told apart by SQLSTATE ({@link PgException#getSqlState()}) and by exception
 * type. The one exception: vertx-sql-client reports its own refusals of a statement's
 * parameters, and a command failed because the connection had already closed, as a bare
 * {@link VertxException} with nothing but the text; those are recognised by the fixed part of the
 * library's message template (quoted below with the class that writes it), never by loose words.
 */
final class PgErrors {

  /** SQLSTATE class 08: connection exception. */
  private static final String CONNECTION_EXCEPTION_CLASS = "08";
  /** SQLSTATE 57P01..57P05: the server shut down, crashed or ended the session (class 57, operator intervention). */
  private static final String SERVER_GONE_PREFIX = "57P";
  private static final String QUERY_CANCELED = "57014";
  private static final String INVALID_CATALOG_NAME = "3D000";
  private static final String INVALID_AUTHORIZATION = "28000";
  private static final String INVALID_PASSWORD = "28P01";
  /** Also "too many connections for role/database"; 53400 is not a connection refusal (temp_file_limit uses it). */
  private static final String TOO_MANY_CONNECTIONS = "53300";
  private static final String INVALID_SQL_STATEMENT_NAME = "26000";

  /** {@code ErrorMessageFactory.buildWhenArgumentsTypeNotMatched}: a value the inferred type cannot take. */
  private static final String CLIENT_TYPE_MISMATCH = "can not be coerced to the expected class";
  /** {@code ErrorMessageFactory.buildWhenArgumentsLengthNotMatched}: the wrong number of parameters. */
  private static final String CLIENT_PARAMETER_COUNT = "The number of parameters to execute should be consistent";
  /** {@code SocketConnectionBase}: commands queued on a connection that closed meanwhile. */
  private static final String CLIENT_PENDING_ON_CLOSED = "Pending requests failed to be sent due to connection has been closed";
  /** {@code SocketConnectionBase}: a command sent on a connection that is no longer connected. */
  private static final String CLIENT_NOT_ACTIVE = "Connection is not active now";

  private PgErrors() {
  }

  /** The client refused a value for the type PostgreSQL inferred: the statement never ran. */
  static boolean isParameterTypeMismatch(Throwable t) {
    return isClientMessage(t, CLIENT_TYPE_MISMATCH);
  }

  /** The client refused the number of parameters against the prepared statement: it never ran. */
  static boolean isParameterCountMismatch(Throwable t) {
    return isClientMessage(t, CLIENT_PARAMETER_COUNT);
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
        if (state != null && (state.startsWith(CONNECTION_EXCEPTION_CLASS) || state.startsWith(SERVER_GONE_PREFIX))) {
          return true;
        }
      } else if (cause instanceof ClosedConnectionException || cause instanceof IOException
          || isClientMessage(cause, CLIENT_PENDING_ON_CLOSED) || isClientMessage(cause, CLIENT_NOT_ACTIVE)) {
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
    return t instanceof PgException pg && INVALID_SQL_STATEMENT_NAME.equals(pg.getSqlState());
  }

  private static boolean isClientMessage(Throwable t, String template) {
    return t instanceof VertxException && !(t instanceof PgException)
        && t.getMessage() != null && t.getMessage().contains(template);
  }

  static PgdoException translate(Throwable t) {
    if (t instanceof PgdoException known) {
      return known;
    }
    if (t instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      switch (state) {
        case QUERY_CANCELED:
          return new PgdoException(ErrorCode.QUERY_TIMEOUT, "the statement ran past its timeout and was cancelled");
        case INVALID_CATALOG_NAME, INVALID_AUTHORIZATION:
          // the tenant's database or role is gone (deleted meanwhile): as for an unknown tenant
          return new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid tenant token");
        case INVALID_PASSWORD:
          // nodes that disagree on tenantSecret derive different role passwords: an operator's problem
          LoggerFactory.getLogger(PgErrors.class).error("tenant role password rejected: is tenantSecret the same on every node?");
          return new PgdoException(ErrorCode.NO_COMPUTE, "the compute instance cannot log in to the tenant's database");
        case TOO_MANY_CONNECTIONS:
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
    if (DatabaseUnavailable.is(t)) {
      // e.g. the pool's connection timeout while PostgreSQL is down: 503 with Retry-After, not 500
      return DatabaseUnavailable.unavailable();
    }
    if (isParameterTypeMismatch(t)) {
      return new PgdoException(ErrorCode.INVALID_REQUEST, "a parameter does not fit the type PostgreSQL expects for it: "
          + t.getMessage() + " (cast it in the SQL, e.g. $1::text::interval)");
    }
    if (isParameterCountMismatch(t)) {
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
