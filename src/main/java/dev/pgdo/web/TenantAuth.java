package dev.pgdo.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks tenant tokens against the stored hashes, for every dialect of the query path, and
 * limits failed attempts ({@link AuthFailureLimit}).
 *
 * <p>A wrong token and an unknown tenant cost the same work, so timing does not reveal which
 * tenants exist: both are looked up in the registry once and then cached alike (an unknown
 * tenant as a credential holding a fixed dummy hash), and both hash the presented token and
 * compare it in constant time. Creation, rotation and deletion invalidate the entry on every
 * node (each node's web verticles consume {@code pgdo.control.tenant-changed}; creation is
 * announced too, so an id cached as unknown works at once); the expiry is a second line of
 * defence. A lookup that raced with an invalidation is used once but not cached.
 *
 * <p>A correct token still costs one SHA-256 per request (about a microsecond): remembering the
 * last verified token instead would keep live tokens in the heap for the cache's lifetime, and
 * would make the first request after a change cheaper or dearer than the others for no gain a
 * request could notice. Thread-safe: one instance per node.
 */
public final class TenantAuth {

  private static final Duration CACHED_FOR = Duration.ofSeconds(30);

  /** What the registry said of a tenant id: its token hash, or that there is no such tenant. */
  private record Credential(byte[] hash, boolean known) {

    /** Same work whatever the outcome: one SHA-256 and one constant-time comparison. */
    boolean accepts(String presented) {
      boolean equal = MessageDigest.isEqual(Secrets.hash(presented), hash);
      return equal & known; // not &&: no branch taken on the comparison's result
    }
  }

  /**
   * An unknown tenant: the hash of a random token made at start and never handed out, so no
   * presented token matches it (and {@code known} is false regardless).
   */
  private static final Credential UNKNOWN = new Credential(Secrets.hash(Secrets.newToken()), false);

  private final TenantStore store;
  private final AuthFailureLimit failures;
  private final AtomicLong invalidations = new AtomicLong();
  private final Cache<String, Credential> credentials = Caffeine.newBuilder()
      .maximumSize(10_000)
      .expireAfterWrite(CACHED_FOR)
      .build();

  /** @param failuresPerMinute {@code http.authFailuresPerMinute} */
  public TenantAuth(TenantStore store, int failuresPerMinute) {
    this(store, new AuthFailureLimit(failuresPerMinute));
  }

  TenantAuth(TenantStore store, AuthFailureLimit failures) {
    this.store = store;
    this.failures = failures;
  }

  /**
   * Passes for the tenant's token. Fails with {@code unauthorized} for an unknown tenant, a
   * missing or a wrong token alike, or with {@code too_many_requests} (and its
   * {@code retryAfter}) once the client's address or the tenant id is over its failure limit.
   * A registry that cannot be reached fails the lookup (503); that is not counted.
   *
   * @param client the socket's remote address (a proxy in front makes all its clients one address)
   */
  public Future<Void> authenticate(String tenant, String token, SocketAddress client) {
    Future<Credential> credential = token == null ? Future.succeededFuture(UNKNOWN) : lookup(tenant);
    return credential.compose(found -> {
      if (token != null && found.accepts(token)) {
        return Future.succeededFuture();
      }
      long retryAfter = failures.recordFailure(address(client), tenant);
      return Future.failedFuture(retryAfter > 0 ? tooMany(retryAfter) : unauthorized());
    });
  }

  /** The tenant was created, rotated or deleted: forget what this node knew of its token. */
  public void invalidate(String tenant) {
    invalidations.incrementAndGet();
    credentials.invalidate(tenant);
  }

  private Future<Credential> lookup(String tenant) {
    Credential cached = credentials.getIfPresent(tenant);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    long generation = invalidations.get();
    return store.tokenHash(tenant).map(stored -> {
      Credential found = stored == null ? UNKNOWN : new Credential(stored, true);
      if (invalidations.get() == generation) {
        credentials.put(tenant, found);
      }
      return found;
    });
  }

  private static String address(SocketAddress client) {
    String host = client == null ? null : client.hostAddress();
    return host != null ? host : client != null ? String.valueOf(client.path()) : "unknown";
  }

  private static PgdoException unauthorized() {
    return new PgdoException(ErrorCode.UNAUTHORIZED, "missing or invalid tenant token");
  }

  private static PgdoException tooMany(long retryAfterSeconds) {
    return new PgdoException(ErrorCode.TOO_MANY_REQUESTS,
        "too many failed authentications from this address or for this tenant id; retry after "
            + retryAfterSeconds + " s", new JsonObject().put("retryAfter", retryAfterSeconds));
  }
}
