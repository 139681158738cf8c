package dev.pgdo.web;

import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.bus.Timings;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.ColoDetector;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The query path of API.md: tenant id, token, body, per-tenant limit, then the pool member
 * through {@link PgdoClient}. The answer carries {@code compute} and {@code timings}, and the
 * same facts as headers: {@code X-Pgdo-Member}, {@code X-Pgdo-Region}, {@code X-Pgdo-Warm} and
 * {@code Server-Timing} (route, wait, connect, query).
 *
 * <p>Two dialects share this one path: API.md's ({@code /v1/query/{tenant}}) and Neon's
 * serverless driver protocol ({@code /sql}). A {@link QueryDialect} only decodes the request and
 * encodes the answer or error; everything between is the same code.
 */
final class QueryRoutes {

  /**
   * Numbers the requests of this node for {@link PgdoClient#cancel}; with the node id in front the
   * ids are unique in the cluster (a random UUID would cost a SecureRandom draw per request).
   */
  private static final AtomicLong CANCEL_IDS = new AtomicLong();

  private final AppConfig config;
  private final TenantAuth auth;
  private final TenantLimiter limiter;
  private final NodeState node;
  private final PgdoClient gateway;
  private final WebMetrics metrics;
  private final String cancelIdPrefix;

  QueryRoutes(AppConfig config, TenantAuth auth, TenantLimiter limiter, NodeState node, PgdoClient gateway,
              WebMetrics metrics) {
    this.config = config;
    this.auth = auth;
    this.limiter = limiter;
    this.node = node;
    this.gateway = gateway;
    this.metrics = metrics;
    this.cancelIdPrefix = config.nodeId() + "/";
  }

  void mount(Router router) {
    QueryDialect v1 = new V1Dialect();
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.limits().maxBodyBytes());
    router.post("/v1/query/:tenant").handler(body).handler(ctx -> onQuery(ctx, v1));
    router.post("/query/:tenant").handler(body).handler(ctx -> onQuery(ctx, v1));

    NeonDialect neon = new NeonDialect(metrics);
    router.route(NeonDialect.PATH).handler(NeonDialect.cors());
    router.post(NeonDialect.PATH)
        .handler(BodyHandler.create(false).setBodyLimit(NeonDialect.MAX_BODY_BYTES))
        .handler(ctx -> onQuery(ctx, neon))
        // the body limit and anything else failing on this route answer in Neon's error shape
        .failureHandler(ctx -> neon.fail(ctx, ctx.failure()));
  }

  private void onQuery(RoutingContext ctx, QueryDialect dialect) {
    long start = System.nanoTime();
    QueryDialect.Caller caller;
    try {
      caller = dialect.caller(ctx);
    } catch (PgdoException refused) {
      dialect.fail(ctx, refused);
      return;
    }
    String tenant = caller.tenant();
    String colo = colo(ctx);
    metrics.request(colo, dialect.label());
    long[] routedAt = new long[1];
    auth.authenticate(tenant, caller.token(), ctx.request().remoteAddress())
        .compose(v -> {
          JsonObject body = dialect.queryBody(ctx);
          if (body == null) {
            return Future.succeededFuture((JsonObject) null);
          }
          body.put("tenant", tenant);
          String idempotencyKey = ctx.request().getHeader("Idempotency-Key");
          if (idempotencyKey != null) {
            body.put("idempotencyKey", idempotencyKey);
          }
          QueryRequest request = QueryRequest.fromJson(body);
          limiter.acquire(tenant);
          node.queryStarted();
          String cancelId = cancelIdPrefix + CANCEL_IDS.incrementAndGet();
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
          if (result == null) {
            dialect.answerNothingToRun(ctx);
            return;
          }
          JsonObject answer = present(result, colo, start);
          timingHeaders(ctx.response(), answer, start, routedAt[0]);
          dialect.answer(ctx, answer);
        })
        .onFailure(failure -> dialect.fail(ctx, failure));
  }

  private void countFallback(String colo) {
    String location = config.topology().locationRegion(colo);
    String serving = config.topology().poolRegion(location);
    if (!location.equals(serving)) {
      metrics.fallback(location, serving);
    }
  }

  /**
   * Puts {@code compute} (with the colo) before {@code timings} (with the total) as API.md shows
   * them. The answer is this request's own (see {@code BusCodecs}), so it is rearranged in place:
   * removing a key and putting it again moves it to the end.
   */
  private static JsonObject present(JsonObject result, String colo, long start) {
    JsonObject compute = (JsonObject) result.remove("compute");
    JsonObject timings = (JsonObject) result.remove("timings");
    JsonObject total = new JsonObject().put("totalMs", Timings.millis(System.nanoTime() - start));
    timings.forEach(e -> total.put(e.getKey(), e.getValue()));
    return result.put("compute", compute.put("colo", colo)).put("timings", total);
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

  /** The colo a request came from: {@code X-Colo}, else Cloudflare's {@code CF-Ray}, else {@code ?colo=} (null: none). */
  static String colo(RoutingContext ctx) {
    return ColoDetector.detect(ctx.request().getHeader("X-Colo"), ctx.request().getHeader("CF-Ray"),
        ctx.request().getParam("colo"));
  }
}
