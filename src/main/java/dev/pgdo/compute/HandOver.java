package dev.pgdo.compute;

import io.vertx.core.Future;

/**
 * A member's side of a hand-over to another node: from the first hand-over notice on it answers
 * {@code MEMBER_MOVED} instead of running queries (senders try the next member), lets the
 * running ones finish (bounded by {@code shutdown.drainMs}), and leaves its recent tenants for
 * the next host. Not thread-safe: the member's event loop.
 */
final class HandOver {

  private final QueryService queries;
  private final RecentTenants recent;
  private final long drainMs;
  private boolean started;

  HandOver(QueryService queries, RecentTenants recent, long drainMs) {
    this.queries = queries;
    this.recent = recent;
    this.drainMs = drainMs;
  }

  /** True once the member is being handed over: it must not start another query. */
  boolean started() {
    return started;
  }

  /** Starts the hand-over; completes once the running queries are done and the tenants are shared. */
  Future<Void> start() {
    started = true;
    return drain();
  }

  /** Lets the running queries finish, then shares the recent tenants. Never fails. */
  Future<Void> drain() {
    return queries.idle(drainMs).compose(v -> recent.share());
  }
}
