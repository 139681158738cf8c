package dev.pgdo.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Counts failed tenant authentications on this node, per client address and per tenant id, in
 * fixed one-minute windows ({@code http.authFailuresPerMinute}). Only failures are counted and
 * only after the token was checked, so a correct token is never slowed or refused by it; a
 * failure over either count is answered 429 instead of 401, telling a guessing client (or a
 * misconfigured one) to stop. Tenant ids are counted whether or not the tenant exists, so the
 * answer reveals nothing about existence.
 *
 * <p>Bounded: at most {@link #MAX_COUNTERS} counters (Caffeine evicts the least useful first; a
 * flood of made-up addresses or ids can evict counters, which only ever lets more requests
 * through, never fewer), each gone two windows after it was made. Lock-free apart from
 * Caffeine's own striped map, so it is safe on any event loop. Thread-safe: one per node.
 */
final class AuthFailureLimit {

  static final long WINDOW_MS = 60_000;
  static final int MAX_COUNTERS = 65_536;

  /** One counter: what is counted ({@code address} or {@code tenant}), its value, and the window. */
  private record Counter(boolean byAddress, String value, long window) {
  }

  private final int perWindow;
  private final LongSupplier clockMs;
  private final Cache<Counter, AtomicInteger> counters = Caffeine.newBuilder()
      .maximumSize(MAX_COUNTERS)
      .expireAfterWrite(Duration.ofMillis(2 * WINDOW_MS))
      .build();

  AuthFailureLimit(int perWindow) {
    this(perWindow, System::currentTimeMillis);
  }

  AuthFailureLimit(int perWindow, LongSupplier clockMs) {
    this.perWindow = perWindow;
    this.clockMs = clockMs;
  }

  /**
   * Counts one failed authentication.
   *
   * @param address the client's address as the socket reports it
   * @return 0 while both counts are within the limit, else the seconds until the window ends
   *         (the {@code Retry-After})
   */
  long recordFailure(String address, String tenant) {
    long now = clockMs.getAsLong();
    long window = now / WINDOW_MS;
    int byAddress = increment(new Counter(true, address, window));
    int byTenant = increment(new Counter(false, tenant, window));
    if (byAddress <= perWindow && byTenant <= perWindow) {
      return 0;
    }
    long untilNextWindowMs = (window + 1) * WINDOW_MS - now;
    return Math.max(1, (untilNextWindowMs + 999) / 1000);
  }

  private int increment(Counter counter) {
    return counters.get(counter, c -> new AtomicInteger()).incrementAndGet();
  }
}
