package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.config.AppConfig;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.List;

/** Health probes (no token), status and metrics (admin token unless {@code ops.public}). */
final class OpsRoutes {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OpsRoutes.class);

  private final AppConfig config;
  private final TenantStore tenants;
  private final StatusCollector collector;
  private final AccessControl access;
  private final NodeState node;
  private final PrometheusMeterRegistry registry;

  OpsRoutes(AppConfig config, TenantStore tenants, StatusCollector collector, AccessControl access, NodeState node,
            PrometheusMeterRegistry registry) {
    this.config = config;
    this.tenants = tenants;
    this.collector = collector;
    this.access = access;
    this.node = node;
    this.registry = registry;
  }

  void mount(Router router) {
    router.get("/health/live").handler(ctx ->
        ErrorResponses.sendJson(ctx, 200, new JsonObject().put("status", "live")));
    router.get("/health/ready").handler(this::onReady);
    router.get("/v1/status").handler(this::requireOpsAccess).handler(ctx -> collector.status()
        .onSuccess(status -> ErrorResponses.sendJson(ctx, 200, status))
        .onFailure(ctx::fail));
    router.get("/metrics").handler(this::requireOpsAccess).handler(PrometheusScrapingHandler.create(registry));
    // The page is public; its data feed is /v1/status, which asks for the admin token unless ops.public.
    router.get("/dashboard").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .sendFile("webroot/dashboard.html")
        .onFailure(ctx::fail));
  }

  private void requireOpsAccess(RoutingContext ctx) {
    if (!config.opsPublic()) {
      access.requireAdmin(ctx);
    }
    ctx.next();
  }

  /** Ready once PostgreSQL answers and every member this node hosts is warm. */
  private void onReady(RoutingContext ctx) {
    Future<Void> database = tenants.ping();
    Future<List<JsonObject>> members = collector.hostedMembers();
    Future.join(database, members).onComplete(done -> {
      JsonArray reasons = new JsonArray();
      if (node.draining()) {
        reasons.add("the node is shutting down");
      }
      if (database.failed()) {
        // the details (host, user) are for the log, not for an unauthenticated probe
        log.warn("readiness: PostgreSQL does not answer: {}", database.cause().getMessage());
        reasons.add("PostgreSQL does not answer");
      }
      long warm = 0;
      for (JsonObject member : members.result()) {
        if ("warm".equals(member.getString("state"))) {
          warm++;
        } else {
          reasons.add(member.getString("address") + " is " + member.getString("state"));
        }
      }
      if (reasons.isEmpty()) {
        ErrorResponses.sendJson(ctx, 200, new JsonObject().put("status", "ready").put("warmMembers", warm));
      } else {
        PgdoException notReady = new PgdoException(ErrorCode.NOT_READY, "the node is not ready",
            new JsonObject().put("reasons", reasons));
        ErrorResponses.send(ctx, 503, notReady.toJson());
      }
    });
  }
}
