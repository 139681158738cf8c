package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.tenant.Secrets;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** Bearer tokens: the admin token check (constant-time, against its hash) and token extraction. */
final class AccessControl {

  private final byte[] adminTokenHash;

  AccessControl(String adminToken) {
    this.adminTokenHash = Secrets.hash(adminToken);
  }

  /** @return the bearer token of the request, or null */
  static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null) {
      return null;
    }
    String trimmed = header.trim();
    if (trimmed.length() < 7 || !trimmed.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    String token = trimmed.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  void requireAdmin(RoutingContext ctx) {
    if (!Secrets.matches(bearer(ctx), adminTokenHash)) {
      throw new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid admin token");
    }
  }
}
