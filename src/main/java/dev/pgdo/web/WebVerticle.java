package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.AppConfig;
import dev.pgdo.routing.ColoDetector;
import dev.pgdo.tenant.TenantId;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

/**
 * The HTTP front door: wires the routes of API.md and runs the query path (tenant check,
 * token, body, per-tenant limit, routing to the pool member). Errors all go through
 * {@link ErrorResponses}.
 */
public final class WebVerticle extends VerticleBase {

  private final AppConfig config;
  private final TenantStore tenants;
  private final TenantAuth auth;
  private final TenantLimiter limiter;
  private final NodeState node;
  private final PrometheusMeterRegistry registry;
  private final String adminToken;
  private final ClusterView view;

  private PgdoClient gateway;

  public WebVerticle(AppConfig config, TenantStore tenants, TenantAuth auth, TenantLimiter limiter, NodeState node,
                     PrometheusMeterRegistry registry, String adminToken, ClusterView view) {
    this.view = view;
    this.config = config;
    this.tenants = tenants;
    this.auth = auth;
    this.limiter = limiter;
    this.node = node;
    this.registry = registry;
    this.adminToken = adminToken;
  }

  @Override
  public Future<?> start() {
    // The bus deadline sits past the statement timeout, which PostgreSQL itself enforces.
    gateway = new PgdoClient(vertx, config.topology(), config.limits().statementTimeoutMs() + 5_000L, view);
    AccessControl access = new AccessControl(adminToken);
    StatusCollector collector = new StatusCollector(vertx, config, node, view);
    AdminRoutes admin = new AdminRoutes(vertx, tenants, auth, access);
    OpsRoutes ops = new OpsRoutes(config, tenants, collector, access, node, registry);

    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.limits().maxBodyBytes());
    router.post("/v1/query/:tenant").handler(body).handler(this::onQuery);
    router.post("/query/:tenant").handler(body).handler(this::onQuery);
    admin.mount(router);
    ops.mount(router);
    router.route().failureHandler(ErrorResponses::handle);
    for (int status : new int[] {400, 401, 404, 405, 413, 415, 500, 503}) {
      router.errorHandler(status, ErrorResponses::handle);
    }

    return vertx.createHttpServer()
        .requestHandler(request -> {
          if (!decodable(request.path())) {
            ErrorResponses.reject(request, "malformed %-escape in the request path");
          } else if (!decodable(request.query())) {
            ErrorResponses.reject(request, "malformed %-escape in the query string");
          } else {
            router.handle(request);
          }
        })
        .invalidRequestHandler(WebVerticle::onUndecodableRequest)
        .listen(config.http().port(), config.http().host());
  }

  /**
   * Vert.x Web fails with a bare 500 when it cannot %-decode the path or the query string, so
   * such requests are answered before they reach the router.
   */
  private static boolean decodable(String uriPart) {
    if (uriPart == null || uriPart.indexOf('%') < 0) {
      return true;
    }
    try {
      URLDecoder.decode(uriPart.replace("+", "%2B"), StandardCharsets.UTF_8);
      return true;
    } catch (IllegalArgumentException malformed) {
      return false;
    }
  }

  /** Requests Netty could not decode (request line or headers too long, bad syntax): a JSON 400. */
  private static void onUndecodableRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorResponses.reject(request, cause instanceof TooLongHttpLineException ? "the request line is too long"
        : cause instanceof TooLongHttpHeaderException ? "the request headers are too large"
        : "the request could not be decoded");
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
          return gateway.query(request, colo, cancelId).andThen(done -> {
            limiter.release(tenant);
            node.queryEnded();
          });
        })
        .onSuccess(result -> ErrorResponses.sendJson(ctx, 200, present(result, colo, start)))
        .onFailure(ctx::fail);
  }

  /** Puts {@code compute} (with the colo) before {@code timings} (with the total) as API.md shows them. */
  private static JsonObject present(JsonObject result, String colo, long start) {
    JsonObject compute = result.getJsonObject("compute").put("colo", colo);
    JsonObject timings = result.getJsonObject("timings");
    result.remove("compute");
    result.remove("timings");
    JsonObject ordered = new JsonObject();
    result.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    JsonObject total = new JsonObject().put("totalMs", Math.round((System.nanoTime() - start) / 1_000.0) / 1_000.0);
    timings.forEach(e -> total.put(e.getKey(), e.getValue()));
    return ordered.put("compute", compute).put("timings", total);
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
