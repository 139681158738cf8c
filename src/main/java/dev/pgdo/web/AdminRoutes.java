package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.TenantId;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.tenant.ServerExhaustion;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.function.Function;

/**
 * The admin API of API.md: create, rotate the token of, describe and delete tenants; and the
 * disk quota of a tenant ({@code PUT /v1/tenants/{tenant}/quota}, README "Resource isolation").
 */
final class AdminRoutes {

  private static final int QUOTA_BODY_LIMIT = 1024;

  private final Vertx vertx;
  private final TenantStore tenants;
  private final TenantAuth auth;
  private final AccessControl access;
  private final PgdoClient gateway;

  AdminRoutes(Vertx vertx, TenantStore tenants, TenantAuth auth, AccessControl access, PgdoClient gateway) {
    this.vertx = vertx;
    this.tenants = tenants;
    this.auth = auth;
    this.access = access;
    this.gateway = gateway;
  }

  void mount(Router router) {
    // after the change is announced (members drop what they held), the new tenant's home member
    // in the region the call came from opens its connection before the 201, if a permit is free
    router.put("/v1/tenants/:tenant").handler(ctx -> admin(ctx, 201, tenant ->
        tenants.create(tenant).andThen(done -> changed(tenant))
            .compose(created -> gateway.warm(tenant, QueryRoutes.colo(ctx)).map(created))));
    router.post("/v1/tenants/:tenant/token").handler(ctx -> admin(ctx, 200, tenant ->
        tenants.rotateToken(tenant).andThen(done -> changed(tenant))));
    router.get("/v1/tenants/:tenant").handler(ctx -> admin(ctx, 200, tenant -> tenants.describe(tenant)
        .compose(described -> tenants.quotas().usage(tenant)
            // a size the admin user may not read is left out, not a failed describe
            .otherwise(new JsonObject())
            .map(usage -> described.mergeIn(usage)))));
    router.put("/v1/tenants/:tenant/quota").handler(BodyHandler.create(false).setBodyLimit(QUOTA_BODY_LIMIT))
        .handler(ctx -> admin(ctx, 200, tenant -> tenants.quotas().setMaxBytes(tenant, maxBytes(ctx))
            .map(usage -> {
              vertx.eventBus().publish(Addresses.RESOURCE_GUARD, new JsonObject().put("kind", "measure"));
              return new JsonObject().put("tenant", tenant).mergeIn(usage);
            })));
    router.delete("/v1/tenants/:tenant").handler(ctx -> admin(ctx, 204, tenant ->
        tenants.delete(tenant).andThen(done -> changed(tenant)).map(v -> null)));
  }

  /** Tenant id first (400), then the admin token (401), then the action; a null result answers 204. */
  private void admin(RoutingContext ctx, int status, Function<String, Future<JsonObject>> action) {
    String tenant = ctx.pathParam("tenant");
    Future.succeededFuture(tenant)
        .map(TenantId::require)
        .map(t -> {
          access.requireAdmin(ctx);
          return t;
        })
        .compose(action)
        // PostgreSQL out of a shared resource (lock table, memory, connections): 503, never 500
        .recover(err -> Future.failedFuture(ServerExhaustion.is(err) ? ServerExhaustion.unavailable(err) : err))
        .onSuccess(body -> {
          if (body == null) {
            ctx.response().setStatusCode(status).end();
          } else {
            ErrorResponses.sendJson(ctx, status, body);
          }
        })
        .onFailure(ctx::fail);
  }

  /** {@code {"maxBytes": n}}: bytes, 0 for no quota, null for the default. */
  private static Long maxBytes(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException notJson) {
      body = null;
    }
    if (body == null || !body.containsKey("maxBytes")
        || !(body.getValue("maxBytes") == null || body.getValue("maxBytes") instanceof Number)) {
      throw new PgdoException(ErrorCode.INVALID_REQUEST,
          "expected {\"maxBytes\": <bytes, 0 for no quota, or null for the default>}");
    }
    Number n = (Number) body.getValue("maxBytes");
    if (n != null && n.doubleValue() != n.longValue()) {
      throw new PgdoException(ErrorCode.INVALID_REQUEST, "maxBytes must be an integer");
    }
    return n == null ? null : n.longValue();
  }

  /** Every node drops its cached token hash and its pools for the tenant. */
  private void changed(String tenant) {
    auth.invalidate(tenant);
    vertx.eventBus().publish(Addresses.TENANT_CHANGED, tenant);
  }
}
