package dev.pgdo.web;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * How one HTTP dialect of the query path reads its requests and writes its answers. The path
 * itself (authentication, limits, routing to the member, cancel, fail-over, metrics, timing
 * headers) lives once in {@link QueryRoutes}; a dialect only decodes and encodes at the edge.
 */
interface QueryDialect {

  /** Who is asking, read before authentication. */
  record Caller(String tenant, String token) {
  }

  /** The dialect's value of the {@code dialect} metrics label. */
  String label();

  /**
   * The tenant and its presented token (null when none was sent).
   *
   * @throws dev.pgdo.bus.PgdoException when the request does not name a valid tenant
   */
  Caller caller(RoutingContext ctx);

  /**
   * The request in {@link dev.pgdo.bus.QueryRequest}'s wire form, without {@code tenant} and
   * {@code idempotencyKey} (the path adds them); read only after authentication. Null when
   * there is nothing to run, answered with {@link #answerNothingToRun}.
   *
   * @throws dev.pgdo.bus.PgdoException for a body or option this dialect cannot accept
   */
  JsonObject queryBody(RoutingContext ctx);

  /** Sends a 200 for the member's result, already carrying {@code compute} and {@code timings}. */
  void answer(RoutingContext ctx, JsonObject result);

  /** Sends the answer for a request with no statement (see {@link #queryBody}). */
  void answerNothingToRun(RoutingContext ctx);

  /** Sends the error answer for a failure anywhere on the path, counting it in the error meters. */
  void fail(RoutingContext ctx, Throwable failure);
}
