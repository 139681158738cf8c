package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.bus.Timings;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.ColoDetector;
import dev.pgdo.tenant.TenantId;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;
import java.util.UUID;

/**
 * The query path of API.md: tenant id, token, body, per-tenant limit, then the pool member
 * through {@link PgdoClient}. The answer carries {@code compute} and {@code timings}, and the
 * same facts as headers: {@code X-Pgdo-Member}, {@code X-Pgdo-Region}, {@code X-Pgdo-Warm} and
 * {@code Server-Timing} (route, wait, connect, query).
 */
final class QueryRoutes {

  private final AppConfig config;
  private final TenantAuth auth;
  private final TenantLimiter limiter;
  private final NodeState node;
  private final PgdoClient gateway;
  private final WebMetrics metrics;

  QueryRoutes(AppConfig config, TenantAuth auth, TenantLimiter limiter, NodeState node, PgdoClient gateway,
              WebMetrics metrics) {
    this.config = config;
    this.auth = auth;
    this.limiter = limiter;
    this.node = node;
    this.gateway = gateway;
    this.metrics = metrics;
  }

  void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.limits().maxBodyBytes());
    router.post("/v1/query/:tenant").handler(body).handler(this::onQuery);
    router.post("/query/:tenant").handler(body).handler(this::onQuery);
  }

  private void onQuery(RoutingContext ctx) {
    long start = System.nanoTime();
    String tenant = ctx.pathParam("tenant");
    if (!TenantId.isValid(tenant)) {
      ctx.fail(new PgdoException(ErrorCode.INVALID_TENANT, "tenant ids match ^[a-z0-9][a-z0-9_-]{0,62}$"));
      return;
    }
    String colo = ColoDetector.detect(ctx.request().getHeader("X-Colo"), ctx.request().getHeader("CF-Ray"),
        ctx.request().getParam("colo"));
    metrics.request(colo);
    long[] routedAt = new long[1];
    auth.authenticate(tenant, AccessControl.bearer(ctx))
        .compose(v -> {
          JsonObject body = jsonBody(ctx).put("tenant", tenant);
          String idempotencyKey = ctx.request().getHeader("Idempotency-Key");
          if (idempotencyKey != null) {
            body.put("idempotencyKey", idempotencyKey);
          }
          QueryRequest request = QueryRequest.fromJson(body);
          limiter.acquire(tenant);
          node.queryStarted();
          String cancelId = UUID.randomUUID().toString();
          // A client that goes away mid-query gets its statement cancelled in PostgreSQL.
          ctx.response().closeHandler(closed -> gateway.cancel(colo, cancelId));
          countFallback(colo);
          routedAt[0] = System.nanoTime();
          // compose() so that even a synchronous throw releases the tenant's slot
          return Future.succeededFuture().compose(x -> gateway.query(request, colo, cancelId)).andThen(done -> {
            limiter.release(tenant);
            node.queryEnded();
          });
        })
        .onSuccess(result -> {
          JsonObject answer = present(result, colo, start);
          timingHeaders(ctx.response(), answer, start, routedAt[0]);
          ErrorResponses.sendJson(ctx, 200, answer);
        })
        .onFailure(ctx::fail);
  }

  private void countFallback(String colo) {
    String location = config.topology().locationRegion(colo);
    String serving = config.topology().poolRegion(location);
    if (!location.equals(serving)) {
      metrics.fallback(location, serving);
    }
  }

  /** Puts {@code compute} (with the colo) before {@code timings} (with the total) as API.md shows them. */
  private static JsonObject present(JsonObject result, String colo, long start) {
    JsonObject compute = result.getJsonObject("compute").put("colo", colo);
    JsonObject timings = result.getJsonObject("timings");
    result.remove("compute");
    result.remove("timings");
    JsonObject ordered = new JsonObject();
    result.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    JsonObject total = new JsonObject().put("totalMs", Timings.millis(System.nanoTime() - start));
    timings.forEach(e -> total.put(e.getKey(), e.getValue()));
    return ordered.put("compute", compute).put("timings", total);
  }

  /**
   * {@code route}: this node's work before sending (token, body, routing); {@code connect} and
   * {@code query}: the member's; {@code wait}: the rest (the bus both ways, queueing).
   */
  private static void timingHeaders(HttpServerResponse response, JsonObject answer, long start, long routedAt) {
    JsonObject compute = answer.getJsonObject("compute");
    JsonObject timings = answer.getJsonObject("timings");
    double route = Timings.millis(routedAt - start);
    double connect = timings.getDouble("connectMs");
    double query = timings.getDouble("queryMs");
    double wait = Math.max(0, Math.round((timings.getDouble("totalMs") - route - connect - query) * 1000) / 1000.0);
    response.putHeader("X-Pgdo-Member", compute.getString("address"))
        .putHeader("X-Pgdo-Region", compute.getString("region"))
        .putHeader("X-Pgdo-Warm", Boolean.toString(compute.getBoolean("warm")))
        .putHeader("Server-Timing", "route;dur=" + route + ", wait;dur=" + wait + ", connect;dur=" + connect
            + ", query;dur=" + query);
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("application/json")) {
      throw new PgdoException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the body must be declared application/json");
    }
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      throw new PgdoException(ErrorCode.INVALID_REQUEST, "the body is empty; expected a JSON object");
    }
    try {
      return new JsonObject(raw);
    } catch (RuntimeException e) {
      throw new PgdoException(ErrorCode.INVALID_REQUEST, "the body is not a JSON object");
    }
  }
}
