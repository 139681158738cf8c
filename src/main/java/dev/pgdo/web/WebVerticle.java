package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.config.AppConfig;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP front door: wires the routes of API.md (query, admin, operations) on one router.
 * Errors all go through {@link ErrorResponses}.
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
  private final WebMetrics metrics;
  private PgdoClient gateway;


  public WebVerticle(AppConfig config, TenantStore tenants, TenantAuth auth, TenantLimiter limiter, NodeState node,
                     PrometheusMeterRegistry registry, String adminToken, ClusterView view, WebMetrics metrics) {
    this.view = view;
    this.metrics = metrics;
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
    Future<Void> tenantChanges = vertx.eventBus().<String>consumer(Addresses.TENANT_CHANGED,
        msg -> auth.invalidate(msg.body())).completion();
    AccessControl access = new AccessControl(adminToken);
    StatusCollector collector = new StatusCollector(vertx, config, node, view, metrics);
    AdminRoutes admin = new AdminRoutes(vertx, tenants, auth, access, gateway);
    OpsRoutes ops = new OpsRoutes(config, tenants, collector, access, node, registry);

    Router router = Router.router(vertx);
    router.route().handler(RequestLog::handle);
    new QueryRoutes(config, auth, limiter, node, gateway, metrics).mount(router);
    admin.mount(router);
    ops.mount(router);
    router.route().failureHandler(ctx -> ErrorResponses.handle(ctx, metrics));
    for (int status : new int[] {400, 401, 404, 405, 413, 415, 500, 503}) {
      router.errorHandler(status, ctx -> ErrorResponses.handle(ctx, metrics));
    }

    ConnectionGuard guard = new ConnectionGuard(vertx, config.http());
    return Future.all(tenantChanges, gateway.ready()).compose(v -> vertx.createHttpServer(guard.options())
        .connectionHandler(guard::onConnection)
        .requestHandler(request -> {
          if (!guard.admit(request)) {
            return;
          }
          if (!decodable(request.path())) {
            ErrorResponses.invalidUri(request, "malformed %-escape in the request path");
          } else if (!decodable(request.query())) {
            ErrorResponses.invalidUri(request, "malformed %-escape in the query string");
          } else {
            router.handle(request);
          }
        })
        .invalidRequestHandler(request -> onUndecodableRequest(guard, request))
        .listen());
  }

  @Override
  public Future<?> stop() {
    gateway.close();
    return Future.succeededFuture();
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

  /** Requests Netty could not decode (request line or headers too long, bad syntax, ambiguous framing): a JSON 400, then close. */
  private static void onUndecodableRequest(ConnectionGuard guard, HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    guard.reject(request, cause instanceof TooLongHttpLineException ? "the request line is too long"
        : cause instanceof TooLongHttpHeaderException ? "the request headers are too large"
        : cause instanceof GuardedRequestDecoder.AmbiguousFramingException ? cause.getMessage()
        : "the request could not be decoded");
  }
}
