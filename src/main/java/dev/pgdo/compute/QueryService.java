package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one member's queries on its tenants' warm pools: counts them (for {@link MemberStats}
 * and for draining), stamps the answer with the member that ran it, and turns a failure into
 * its public error. Not thread-safe: used on the member's event loop.
 */
final class QueryService {

  private static final Logger log = LoggerFactory.getLogger(QueryService.class);

  private final Vertx vertx;
  private final TenantPools pools;
  private final QueryExecutor executor;
  private final MemberStats stats;
  /** The {@code compute} object of every answer, without {@code warm}. */
  private final JsonObject member;
  private int running;
  /** Completed when the last running query ends; null while none is awaited. */
  private Promise<Void> idle;

  QueryService(Vertx vertx, TenantPools pools, QueryExecutor executor, MemberStats stats, JsonObject member) {
    this.vertx = vertx;
    this.pools = pools;
    this.executor = executor;
    this.stats = stats;
    this.member = member;
  }

  /**
   * Runs {@code request}. Never throws: anything thrown while starting the query becomes a
   * failed future, so every message gets an answer, never a wait for the sender's deadline.
   * Fails with a {@link PgdoException}.
   */
  Future<JsonObject> run(QueryRequest request, String cancelId) {
    long start = System.nanoTime();
    running++;
    QueryExecutor.ConnectionUse use = new QueryExecutor.ConnectionUse();
    TenantPool[] used = new TenantPool[1];
    return Future.succeededFuture()
        .compose(v -> {
          TenantPool pool = pools.get(request.tenant());
          used[0] = pool;
          QueryRequest admitted = pool.admit(request);
          return executor.execute(admitted, pool, cancelId, use)
              .recover(err -> {
                if (err == TenantPool.CLOSED_BEFORE_START && !pools.closedAll()) {
                  // evicted before the statement started: the tenant's next pool runs it, once
                  used[0] = pools.get(request.tenant());
                  return executor.execute(admitted, used[0], cancelId, use);
                }
                return SharedMemoryRetry.mayRetry(err, admitted) && pool.lockPenalty() == null
                    ? once(() -> executor.execute(admitted, pool, cancelId, use), err)
                    : Future.failedFuture(err);
              });
        })
        .andThen(done -> finished())
        .map(body -> {
          stats.recordQuery(use.warm, true, System.nanoTime() - start);
          return body.put("compute", member.copy().put("warm", use.warm));
        })
        .recover(err -> {
          stats.recordQuery(use.warm, false, System.nanoTime() - start);
          // a statement the lock guard ended answers its documented error, not the cancel's
          PgdoException penalty = used[0] == null ? null : used[0].lockPenalty();
          PgdoException error = penalty != null ? penalty : PgErrors.translate(err);
          if (error.code() == ErrorCode.UNAUTHORIZED || PgErrors.isStatementCacheBroken(err)) {
            pools.evict(request.tenant()); // the next query starts from fresh connections
          } else if (error.code() == ErrorCode.INTERNAL_ERROR) {
            log.error("{}: query for tenant {} failed", member.getString("address"), request.tenant(), err);
          }
          return Future.failedFuture(error);
        });
  }

  /** Runs {@code again} after {@link SharedMemoryRetry#DELAY_MS} (a timer: the event loop never waits). */
  private <T> Future<T> once(java.util.function.Supplier<Future<T>> again, Throwable first) {
    Promise<Void> delay = Promise.promise();
    vertx.setTimer(SharedMemoryRetry.DELAY_MS, id -> delay.complete());
    log.debug("{}: PostgreSQL was out of shared memory ({}); running the request once more",
        member.getString("address"), first.getMessage());
    return delay.future().compose(v -> again.get());
  }

  void cancel(String cancelId) {
    executor.cancel(cancelId);
  }

  /** Completes when no query is running, or after {@code timeoutMs}, whichever comes first. */
  Future<Void> idle(long timeoutMs) {
    if (running == 0) {
      return Future.succeededFuture();
    }
    if (idle == null) {
      idle = Promise.promise();
    }
    Promise<Void> bounded = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, timeoutMs), t -> bounded.tryComplete());
    idle.future().onComplete(done -> {
      vertx.cancelTimer(timer);
      bounded.tryComplete();
    });
    return bounded.future();
  }

  private void finished() {
    running--;
    if (running == 0 && idle != null) {
      Promise<Void> waiting = idle;
      idle = null;
      waiting.complete();
    }
  }
}
