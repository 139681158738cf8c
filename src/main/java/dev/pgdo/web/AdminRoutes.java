package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.tenant.TenantId;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/** The admin API of API.md: create, rotate the token of, describe and delete tenants. */
final class AdminRoutes {

  private final Vertx vertx;
  private final TenantStore tenants;
  private final TenantAuth auth;
  private final AccessControl access;

  AdminRoutes(Vertx vertx, TenantStore tenants, TenantAuth auth, AccessControl access) {
    this.vertx = vertx;
    this.tenants = tenants;
    this.auth = auth;
    this.access = access;
  }

  void mount(Router router) {
    router.put("/v1/tenants/:tenant").handler(ctx -> admin(ctx, 201, tenant ->
        tenants.create(tenant).andThen(done -> changed(tenant))));
    router.post("/v1/tenants/:tenant/token").handler(ctx -> admin(ctx, 200, tenant ->
        tenants.rotateToken(tenant).andThen(done -> changed(tenant))));
    router.get("/v1/tenants/:tenant").handler(ctx -> admin(ctx, 200, tenants::describe));
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
        .onSuccess(body -> {
          if (body == null) {
            ctx.response().setStatusCode(status).end();
          } else {
            ErrorResponses.sendJson(ctx, status, body);
          }
        })
        .onFailure(ctx::fail);
  }

  /** Every node drops its cached token hash and its pools for the tenant. */
  private void changed(String tenant) {
    auth.invalidate(tenant);
    vertx.eventBus().publish(Addresses.TENANT_CHANGED, tenant);
  }
}
