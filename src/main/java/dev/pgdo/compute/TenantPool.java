package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;

/**
 * One tenant's connections on one compute member: a Vert.x pool logged in as the tenant's role,
 * the permits it holds from the node's {@link ConnectionBudget}, a bounded queue of statements
 * waiting for a connection, and what the member learnt about the tenant's statements (their
 * inferred parameter types).
 *
 * <p>A statement runs only while the pool holds a permit for it, so the pool never opens more
 * connections than its permits. Permits are taken on demand (up to {@code maxConnections}) and
 * given back when the pool closes. Confined to its member's event loop: no locking.
 */
final class TenantPool {

  /** How often a statement waiting for a budget permit looks again. */
  private static final long BUDGET_RETRY_MS = 10;

  private final String tenant;
  private final Pool pool;
  private final Vertx vertx;
  private final ConnectionBudget budget;
  private final int maxConnections;
  private final int maxWaiting;
  private final long maxWaitMs;
  private final Runnable budgetExhausted;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private final Cache<String, List<String>> parameterTypes = Caffeine.newBuilder()
      .maximumSize(256)
      .expireAfterWrite(Duration.ofMinutes(5)) // a schema change can alter inferred types
      .executor(Runnable::run)
      .build();
  private int permits;
  private int inFlight;
  private boolean retired;
  private boolean closed;
  private boolean idempotencyTableReady;

  /** @param budgetExhausted called when a statement has to wait because the node's budget is spent */
  TenantPool(String tenant, Pool pool, Vertx vertx, ConnectionBudget budget, int maxConnections, int maxWaiting,
             long maxWaitMs, Runnable budgetExhausted) {
    this.budgetExhausted = budgetExhausted;
    this.tenant = tenant;
    this.pool = pool;
    this.vertx = vertx;
    this.budget = budget;
    this.maxConnections = maxConnections;
    this.maxWaiting = maxWaiting;
    this.maxWaitMs = maxWaitMs;
  }

  String tenant() {
    return tenant;
  }

  /** Open connections, idle or busy. */
  int connections() {
    return pool.size();
  }

  /** True when an open connection is free right now, so the next statement needs no connection set-up. */
  boolean hasIdleConnection() {
    return pool.size() > inFlight;
  }

  int inFlight() {
    return inFlight;
  }

  boolean idle() {
    return inFlight == 0 && waiting.isEmpty();
  }

  /**
   * Runs {@code work} on a connection once a permit is free, waiting at most {@code maxWaitMs};
   * then fails with {@code no_compute}.
   */
  <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    if (retired) {
      return Future.failedFuture(noConnection("the tenant's connections are closing"));
    }
    if (canStart()) {
      return start(work);
    }
    if (waiting.size() >= maxWaiting) {
      return Future.failedFuture(noConnection("too many statements are waiting for a connection"));
    }
    Promise<T> result = Promise.promise();
    Waiter waiter = new Waiter(() -> start(work).onComplete(result), result);
    waiting.add(waiter);
    if (permits == 0) {
      budgetExhausted.run();
    }
    retryForBudget(waiter, System.nanoTime() + maxWaitMs * 1_000_000);
    return result.future();
  }

  /** A statement waiting for a connection: how to start it, and how to fail it. */
  private record Waiter(Runnable resume, Promise<?> result) {
  }

  /** Runs {@code work} only if a connection can be had at once; used by keep-warm, which must not queue. */
  <T> Future<T> withConnectionNow(Function<SqlConnection, Future<T>> work) {
    return canStart() ? start(work) : Future.failedFuture(noConnection("no permit free"));
  }

  private boolean canStart() {
    if (retired) {
      return false;
    }
    if (inFlight < permits) {
      return true;
    }
    if (permits < maxConnections && budget.tryAcquire()) {
      permits++;
      return true;
    }
    return false;
  }

  private <T> Future<T> start(Function<SqlConnection, Future<T>> work) {
    inFlight++;
    return pool.withConnection(work).andThen(done -> {
      inFlight--;
      startWaiting();
      closeIfRetiredAndIdle();
    });
  }

  private void startWaiting() {
    while (!waiting.isEmpty() && canStart()) {
      waiting.poll().resume().run();
    }
  }

  /**
   * A statement waits for one of this pool's own connections to free up (its completion starts
   * the next in line), or, when the pool has no permit at all, for the budget: other pools give
   * permits back when they close, so it looks again every few milliseconds until its deadline.
   */
  private void retryForBudget(Waiter waiter, long deadline) {
    vertx.setTimer(BUDGET_RETRY_MS, id -> {
      if (!waiting.contains(waiter)) {
        return; // already started, or failed when the pool closed
      }
      if (canStart()) {
        waiting.remove(waiter);
        waiter.resume().run();
      } else if (System.nanoTime() >= deadline) {
        waiting.remove(waiter);
        waiter.result().tryFail(noConnection("no database connection became free within " + maxWaitMs + " ms"));
      } else {
        retryForBudget(waiter, deadline);
      }
    });
  }

  private static PgdoException noConnection(String why) {
    return new PgdoException(ErrorCode.NO_COMPUTE, why);
  }

  boolean idempotencyTableReady() {
    return idempotencyTableReady;
  }

  void markIdempotencyTableReady() {
    idempotencyTableReady = true;
  }

  List<String> knownParameterTypes(String sql) {
    return parameterTypes.getIfPresent(sql);
  }

  void learnParameterTypes(String sql, List<String> types) {
    parameterTypes.put(sql, types);
  }

  /**
   * Stops the pool once its in-flight statements are done (evicted pools must not cut queries
   * short) and gives its permits back when its connections are closed.
   */
  void retire() {
    retired = true;
    closeIfRetiredAndIdle();
  }

  private void closeIfRetiredAndIdle() {
    if (retired && !closed && inFlight == 0) {
      closed = true;
      waiting.forEach(waiter -> waiter.result().tryFail(noConnection("the tenant's connections are closing")));
      waiting.clear();
      int held = permits;
      permits = 0;
      pool.close().onComplete(closed -> budget.release(held));
    }
  }
}
