package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.db.DatabaseUnavailable;
import dev.pgdo.tenant.ServerExhaustion;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeoutException;

/**
 * The one place where failures become HTTP answers: API.md's status and JSON error body, a
 * {@code Retry-After} on 429 and 503, and one log line for anything unexpected. Never a stack
 * trace to the client.
 */
final class ErrorResponses {

  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

  private ErrorResponses() {
  }

  /** Failure handler for every route, and error handler for the router's own 404/405/413. */
  static void handle(RoutingContext ctx, WebMetrics metrics) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    Resolved error = resolve(ctx.failure(), ctx.statusCode());
    metrics.error(error.code());
    send(ctx, error.status(), error.body());
  }

  /** A failure as API.md answers it: the status and the {@code {"error": {...}}} body. */
  record Resolved(int status, JsonObject body) {
    String code() {
      return body.getJsonObject("error").getString("code");
    }

    /** The {@code Retry-After} of a 429 or 503: the error's own {@code retryAfter} (seconds), else 1. */
    long retryAfterSeconds() {
      JsonObject error = body.getJsonObject("error");
      return error != null && error.getValue("retryAfter") instanceof Number seconds ? seconds.longValue() : 1;
    }
  }

  /**
   * The one translation of a failure into API.md's status and body, shared by every dialect of
   * the query path (the Neon dialect re-encodes the result).
   *
   * @param failure    the failure, or null when only a status is known
   * @param statusCode the status the router set (used when {@code failure} is null or unknown)
   */
  static Resolved resolve(Throwable failure, int statusCode) {
    if (failure == null) {
      PgdoException error = forStatus(statusCode);
      return new Resolved(error.code().status(), error.toJson());
    }
    if (failure instanceof ReplyException reply) {
      JsonObject sent = reply.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE
          ? PgdoException.errorBody(reply) : null;
      if (sent != null) {
        return new Resolved(reply.failureCode(), sent);
      }
      PgdoException error = fromReply(reply);
      return new Resolved(error.code().status(), error.toJson());
    }
    PgdoException error = translate(failure, statusCode);
    return new Resolved(error.code().status(), error.toJson());
  }

  static void send(RoutingContext ctx, int status, JsonObject body) {
    send(ctx, status, body, new Resolved(status, body).retryAfterSeconds());
  }

  /** For a dialect whose body is not API.md's: the {@code Retry-After} comes from the resolved error. */
  static void send(RoutingContext ctx, int status, JsonObject body, long retryAfterSeconds) {
    if (status == 429 || status == 503) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    }
    sendJson(ctx, status, body);
  }

  /**
   * A 400 {@code invalid_request} for a request whose URI cannot be decoded. Its framing is
   * sound, so the connection stays open: closing it while the client is still sending a body
   * would reset the connection and lose this answer.
   */
  static void invalidUri(HttpServerRequest request, String why) {
    request.response()
        .setStatusCode(400)
        .putHeader("Content-Type", "application/json")
        .end(new PgdoException(ErrorCode.INVALID_REQUEST, why).toJson().toBuffer());
  }

  /** A 400 {@code invalid_request} for a request that never reached the router; closes the connection. */
  static void reject(HttpServerRequest request, String why) {
    request.response()
        .setStatusCode(400)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(new PgdoException(ErrorCode.INVALID_REQUEST, why).toJson().toBuffer())
        // the header alone does not end a keep-alive connection; what follows the request is not trusted
        .onComplete(done -> request.connection().close());
  }

  static void sendJson(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }

  private static PgdoException fromReply(ReplyException reply) {
    return switch (reply.failureType()) {
      case NO_HANDLERS -> new PgdoException(ErrorCode.NO_COMPUTE, "no compute instance could take the query");
      case TIMEOUT -> {
        log.warn("no answer before the deadline: {}", reply.getMessage());
        yield new PgdoException(ErrorCode.QUERY_TIMEOUT, "the query did not finish before its deadline");
      }
      default -> unexpected(reply);
    };
  }

  private static PgdoException translate(Throwable failure, int statusCode) {
    if (failure instanceof PgdoException known) {
      if (known.code() == ErrorCode.INTERNAL_ERROR) {
        log.error("internal error: {}", known.getMessage());
      }
      return known;
    }
    if (failure instanceof HttpException http) {
      return forStatus(http.getStatusCode());
    }
    if (failure instanceof DecodeException) {
      return new PgdoException(ErrorCode.INVALID_REQUEST, "the body is not valid JSON");
    }
    if (ServerExhaustion.is(failure)) {
      return ServerExhaustion.unavailable(failure); // e.g. a token lookup while the lock table is full
    }
    if (failure instanceof ConnectionPoolTooBusyException) {
      // the admin pool (token lookups, admin calls) is saturated: shed load instead of queueing
      return new PgdoException(ErrorCode.NO_COMPUTE, "the service is busy; retry");
    }
    if (DatabaseUnavailable.is(failure)) {
      return DatabaseUnavailable.unavailable(); // a token lookup or admin call while PostgreSQL is down
    }
    if (failure instanceof IllegalArgumentException) {
      // Vert.x could not decode the request (e.g. a bad %-escape in the path or query string)
      return new PgdoException(ErrorCode.INVALID_REQUEST, "malformed request URI");
    }
    if (failure instanceof TimeoutException) {
      return new PgdoException(ErrorCode.QUERY_TIMEOUT, "the query did not finish before its deadline");
    }
    if (statusCode >= 400 && statusCode < 500) {
      return forStatus(statusCode);
    }
    return unexpected(failure);
  }

  private static PgdoException unexpected(Throwable failure) {
    log.error("unexpected failure", failure);
    return new PgdoException(ErrorCode.INTERNAL_ERROR, "internal error");
  }

  static PgdoException forStatus(int status) {
    return switch (status) {
      case 404 -> new PgdoException(ErrorCode.NOT_FOUND, "no such path");
      case 405 -> new PgdoException(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed on this path");
      case 413 -> new PgdoException(ErrorCode.PAYLOAD_TOO_LARGE, "the body is over the size limit");
      case 415 -> new PgdoException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
      case 401 -> new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid token");
      case 503 -> new PgdoException(ErrorCode.NO_COMPUTE, "service unavailable");
      case 504 -> new PgdoException(ErrorCode.QUERY_TIMEOUT, "the request timed out");
      default -> status >= 400 && status < 500
          ? new PgdoException(ErrorCode.INVALID_REQUEST, "bad request")
          : new PgdoException(ErrorCode.INTERNAL_ERROR, "internal error");
    };
  }
}
