package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.TenantId;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** API.md's own dialect: {@code POST /v1/query/{tenant}} with a bearer token and a JSON body. Stateless. */
final class V1Dialect implements QueryDialect {

  @Override
  public String label() {
    return "v1";
  }

  @Override
  public Caller caller(RoutingContext ctx) {
    String tenant = ctx.pathParam("tenant");
    if (!TenantId.isValid(tenant)) {
      throw new PgdoException(ErrorCode.INVALID_TENANT, "tenant ids match ^[a-z0-9][a-z0-9_-]{0,62}$");
    }
    return new Caller(tenant, AccessControl.bearer(ctx));
  }

  @Override
  public JsonObject queryBody(RoutingContext ctx) {
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

  @Override
  public void answer(RoutingContext ctx, JsonObject result) {
    ErrorResponses.sendJson(ctx, 200, result);
  }

  @Override
  public void answerNothingToRun(RoutingContext ctx) {
    throw new IllegalStateException("a v1 body always holds a statement");
  }

  @Override
  public void fail(RoutingContext ctx, Throwable failure) {
    ctx.fail(failure);
  }
}
