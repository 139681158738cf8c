package dev.pgdo.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;

import java.time.Duration;

/**
 * Checks tenant tokens against the stored hashes, keeping recently used hashes in a bounded cache
 * so the hot path does not query the registry. Rotation and deletion invalidate the entry on every
 * node (through {@code pgdo.control.tenant-changed}); the short expiry is a second line of defence.
 * Thread-safe.
 */
public final class TenantAuth {

  private final TenantStore store;
  private final Cache<String, byte[]> hashes = Caffeine.newBuilder()
      .maximumSize(10_000)
      .expireAfterWrite(Duration.ofSeconds(30))
      .build();

  public TenantAuth(TenantStore store) {
    this.store = store;
  }

  /** Fails with {@code unauthorized} for an unknown tenant or a wrong token alike. */
  public Future<Void> authenticate(String tenant, String token) {
    if (token == null) {
      return Future.failedFuture(unauthorized());
    }
    byte[] cached = hashes.getIfPresent(tenant);
    Future<byte[]> hash = cached != null ? Future.succeededFuture(cached) : store.tokenHash(tenant).andThen(r -> {
      if (r.succeeded() && r.result() != null) {
        hashes.put(tenant, r.result());
      }
    });
    return hash.compose(stored -> Secrets.matches(token, stored)
        ? Future.succeededFuture()
        : Future.failedFuture(unauthorized()));
  }

  public void invalidate(String tenant) {
    hashes.invalidate(tenant);
  }

  private static PgdoException unauthorized() {
    return new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid tenant token");
  }
}
