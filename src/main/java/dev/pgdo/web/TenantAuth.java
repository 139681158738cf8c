package dev.pgdo.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks tenant tokens against the stored hashes, keeping recently used hashes in a bounded cache
 * so the hot path does not query the registry. Rotation and deletion invalidate the entry on every
 * node (each node's web verticles consume {@code pgdo.control.tenant-changed}); the short expiry
 * is a second line of defence. A lookup that raced with an invalidation is used once but not
 * cached. Thread-safe: one instance per node.
 */
public final class TenantAuth {

  /** Marks an unknown tenant in the cache, so floods of made-up ids do not each hit the registry. */
  private static final byte[] UNKNOWN = new byte[0];

  private final TenantStore store;
  private final AtomicLong invalidations = new AtomicLong();
  private final Cache<String, byte[]> hashes = Caffeine.newBuilder()
      .maximumSize(10_000)
      .expireAfter(new com.github.benmanes.caffeine.cache.Expiry<String, byte[]>() {
        @Override
        public long expireAfterCreate(String tenant, byte[] hash, long now) {
          // unknown ids are remembered briefly, so a tenant created a moment later works at once
          return Duration.ofSeconds(hash == UNKNOWN ? 2 : 30).toNanos();
        }

        @Override
        public long expireAfterUpdate(String tenant, byte[] hash, long now, long current) {
          return expireAfterCreate(tenant, hash, now);
        }

        @Override
        public long expireAfterRead(String tenant, byte[] hash, long now, long current) {
          return current;
        }
      })
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
    Future<byte[]> hash;
    if (cached != null) {
      hash = Future.succeededFuture(cached);
    } else {
      long generation = invalidations.get();
      hash = store.tokenHash(tenant).map(stored -> {
        byte[] value = stored == null ? UNKNOWN : stored;
        if (invalidations.get() == generation) {
          hashes.put(tenant, value);
        }
        return value;
      });
    }
    return hash.compose(stored -> stored != UNKNOWN && Secrets.matches(token, stored)
        ? Future.succeededFuture()
        : Future.failedFuture(unauthorized()));
  }

  /** The tenant was created, rotated or deleted: forget what this node knew of its token. */
  public void invalidate(String tenant) {
    invalidations.incrementAndGet();
    hashes.invalidate(tenant);
  }

  private static PgdoException unauthorized() {
    return new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid tenant token");
  }
}
