package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.db.MemorySettings;
import dev.pgdo.tenant.TenantRestrictions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One tenant's connections on one compute member: a Vert.x pool logged in as the tenant's role,
 * the permits it holds from the node's {@link ConnectionBudget}, a bounded queue of statements
 * waiting for a connection, and what the member learnt about the tenant's statements (their
 * inferred parameter types).
 *
 * <p>A statement runs only while the pool holds a permit for it, so the pool never opens more
 * connections than its permits. Permits are taken on demand (up to {@code maxConnections}) and
 * given back when the pool closes. A statement that finds no permit waits in the pool's queue
 * and the pool holds a budget ticket for it; it starts when one of the pool's own statements
 * ends or when the budget hands the pool a permit, whichever comes first (no timer polls), and
 * fails with {@code no_compute} at its deadline. A retired pool (evicted, or giving its permits
 * back to tenants under their share) runs what it has queued on the permits it holds, takes no
 * new ones, and closes once idle. An idle pool is the budget's to reclaim ({@link #reclaim}):
 * when another tenant waits for a permit and this pool's last statement ended before every other
 * idle pool's, it asks to be evicted. Confined to its member's event loop: no locking, except
 * the three fields the budget reads from other threads (volatile).
 */
final class TenantPool implements ConnectionBudget.Holder {

  /**
   * Ends what a session can keep past a request: session-level advisory locks and WITH HOLD
   * cursors, which hold shared memory (the lock table) or backend memory and temp files, and a
   * raised {@code work_mem} and its kin ({@link MemorySettings}). Sent, pipelined, as a request
   * gives its connection back (queued before the pool lends it again, so no request waits for
   * it), and as the keep-warm ping of every idle connection.
   *
   * <p>It costs PostgreSQL as much as a point select (one more round trip; {@code scripts/bench.sh}
   * row r), so a request's connection gets it at once only when the request may have left such
   * state: one that failed, or whose SQL sets, declares or names such state
   * ({@link QueryExecutor#mayLeaveSessionState}); otherwise every {@link #RESET_EVERY_LOANS}th
   * loan, and at the next keep-warm round. State made out of sight (a function that takes a
   * session lock, a cursor declared by dynamic SQL) thus lives on at most until then, on the
   * tenant's own connection; the lock guard bounds how much of the shared lock table it can hold
   * (README "Resource isolation").
   */
  static final String SESSION_RESET = "SELECT pg_catalog.pg_advisory_unlock_all(); CLOSE ALL; " + MemorySettings.RESET;
  static final int RESET_EVERY_LOANS = 64;
  /**
   * How a statement fails that a retired pool never started (it was evicted while the statement
   * waited for its first permit, or before it arrived): safe to run on the tenant's next pool.
   */
  static final PgdoException CLOSED_BEFORE_START = new PgdoException(ErrorCode.NO_COMPUTE,
      "the tenant's connections are closing");
  /** How {@link #withConnectionNow} fails when no permit is free: the budget is full, not the database broken. */
  static final PgdoException NO_PERMIT_NOW = new PgdoException(ErrorCode.NO_COMPUTE, "no permit free");

  private final String tenant;
  private final String role;
  private final Pool pool;
  private final Vertx vertx;
  private final Executor onThisContext;
  private final ConnectionBudget budget;
  private final TenantRestrictions restrictions;
  private final int maxConnections;
  private final int maxWaiting;
  private final long maxWaitMs;
  private final Runnable budgetExhausted;
  private final Consumer<TenantPool> evictSelf;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  /** Budget tickets this pool holds for its waiting statements: never more than it could use. */
  private final ArrayDeque<ConnectionBudget.Ticket> tickets = new ArrayDeque<>();
  private final Cache<String, List<String>> parameterTypes = Caffeine.newBuilder()
      .maximumSize(256)
      .expireAfterWrite(Duration.ofMinutes(5)) // a schema change can alter inferred types
      .executor(Runnable::run)
      .build();
  private volatile int permits;
  /** Holds permits with nothing running or waiting, and is neither retired nor closed. */
  private volatile boolean reclaimable;
  /** When the last tenant statement ended; keep-warm pings do not count (an LRU over use, not over pings). */
  private volatile long lastUsedNanos = System.nanoTime();
  private int inFlight;
  /** The most statements running or waiting at once since the last {@link #nextWarmFloor}. */
  private int peakDemand;
  /** The connections keep-warm keeps open: the recent peak demand, decaying by one per round. */
  private int warmFloor;
  private boolean retired;
  private boolean closed;
  private boolean idempotencyTableReady;

  /**
   * @param role            the tenant's PostgreSQL role, the key of its restrictions
   * @param budgetExhausted called when a statement has to wait for the node's budget and no
   *                        idle pool could be reclaimed for it
   * @param evictSelf       called with this pool when the budget reclaims it while idle: its owner
   *                        drops it, which {@linkplain #retire retires} it
   */
  TenantPool(String tenant, String role, Pool pool, Vertx vertx, ConnectionBudget budget,
             TenantRestrictions restrictions, int maxConnections, int maxWaiting, long maxWaitMs,
             Runnable budgetExhausted, Consumer<TenantPool> evictSelf) {
    this.tenant = tenant;
    this.role = role;
    this.pool = pool;
    this.vertx = vertx;
    Context context = vertx.getOrCreateContext();
    this.onThisContext = task -> context.runOnContext(v -> task.run());
    this.budget = budget;
    this.restrictions = restrictions;
    this.maxConnections = maxConnections;
    this.maxWaiting = maxWaiting;
    this.maxWaitMs = maxWaitMs;
    this.budgetExhausted = budgetExhausted;
    this.evictSelf = evictSelf;
  }

  @Override
  public String tenant() {
    return tenant;
  }

  /** Open connections, idle or busy. */
  int connections() {
    return pool.size();
  }

  /** Budget permits this pool holds. */
  @Override
  public int permits() {
    return permits;
  }

  @Override
  public boolean reclaimable() {
    return reclaimable;
  }

  @Override
  public long lastUsedNanos() {
    return lastUsedNanos;
  }

  @Override
  public Executor executor() {
    return onThisContext;
  }

  /** The budget wants this pool's permits for a waiting tenant: given if the pool is still idle. */
  @Override
  public void reclaim() {
    if (!reclaimable) {
      budget.reclaimMissed(this);
      return;
    }
    evictSelf.accept(this);
    if (!retired) { // its owner no longer held it
      retire();
    }
  }

  int inFlight() {
    return inFlight;
  }

  boolean idle() {
    return inFlight == 0 && waiting.isEmpty();
  }

  /**
   * The connections this tenant should find open, for one keep-warm round: as many as it ran at
   * once lately, so that a tenant running N statements at a time pays no connection set-up for
   * any of them; when it calms down the floor decays by one connection per round, never below
   * {@code minimum} nor above the pool's size.
   */
  int nextWarmFloor(int minimum) {
    warmFloor = Math.min(maxConnections, Math.max(peakDemand, warmFloor - 1));
    peakDemand = 0;
    return Math.max(minimum, warmFloor);
  }

  /**
   * Admits the request under the resource guards' restrictions of the tenant: refused during its
   * lock-table penalty, or, over its disk quota, refused or made read-only.
   *
   * @return the request to run
   * @throws PgdoException {@code resource_limit}
   */
  QueryRequest admit(QueryRequest request) {
    return restrictions.admit(role, request);
  }

  /**
   * The lock guard's {@code resource_limit} if it penalised the tenant meanwhile (it then ended
   * the tenant's sessions, which is why the statement failed), else null.
   */
  PgdoException lockPenalty() {
    return restrictions.lockPenalty(role);
  }

  /**
   * Runs {@code work} on a connection once a permit is free, waiting at most {@code maxWaitMs};
   * then fails with {@code no_compute}.
   */
  <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    peakDemand = Math.max(peakDemand, inFlight + waiting.size() + 1);
    if (canStart()) {
      return start(work, true);
    }
    if (closed || (retired && permits == 0)) {
      return Future.failedFuture(CLOSED_BEFORE_START);
    }
    if (waiting.size() >= maxWaiting) {
      return Future.failedFuture(noConnection("too many statements are waiting for a connection"));
    }
    Promise<T> result = Promise.promise();
    Waiter waiter = new Waiter(() -> start(work, true).onComplete(result), result);
    waiting.add(waiter);
    updateReclaimable();
    waiter.deadline = vertx.setTimer(maxWaitMs, id -> expire(waiter));
    balanceTickets();
    return result.future();
  }

  /** Runs {@code work} only if a connection can be had at once; used by keep-warm, which must not queue. */
  <T> Future<T> withConnectionNow(Function<SqlConnection, Future<T>> work) {
    return canStart() ? start(work, false) : Future.failedFuture(NO_PERMIT_NOW);
  }

  /** A statement waiting for a connection: how to start it, how to fail it, and its deadline timer. */
  private static final class Waiter {
    private final Runnable resume;
    private final Promise<?> result;
    private long deadline;

    private Waiter(Runnable resume, Promise<?> result) {
      this.resume = resume;
      this.result = result;
    }
  }

  private boolean canStart() {
    if (closed) {
      return false;
    }
    if (inFlight < permits) {
      return true;
    }
    if (!retired && permits < maxConnections && budget.tryAcquire(tenant)) {
      addPermit();
      return true;
    }
    return false;
  }

  private <T> Future<T> start(Function<SqlConnection, Future<T>> work, boolean resetAfter) {
    inFlight++;
    updateReclaimable();
    return pool.withConnection(conn -> {
      WireTap tap = WireTap.of(conn);
      tap.lent();
      Future<T> done = work.apply(conn);
      // Queued before withConnection hands the connection back; its outcome matters to nobody
      // (a broken connection is dropped by the pool anyway).
      return resetAfter ? done.andThen(finished -> {
        if (finished.failed()) {
          tap.suspectSessionState();
        }
        if (tap.takeResetDue(RESET_EVERY_LOANS)) {
          conn.query(SESSION_RESET).execute();
        }
      }) : done;
    }).andThen(done -> {
      inFlight--;
      if (resetAfter) {
        lastUsedNanos = System.nanoTime();
      }
      startWaiting();
      closeIfRetiredAndIdle();
      updateReclaimable();
    });
  }

  private void startWaiting() {
    while (!waiting.isEmpty() && canStart()) {
      Waiter next = waiting.poll();
      vertx.cancelTimer(next.deadline);
      next.resume.run();
    }
    balanceTickets();
  }

  private void expire(Waiter waiter) {
    if (waiting.remove(waiter)) {
      // the budget ticket goes first, so whoever sees the failure sees the budget without it
      balanceTickets();
      waiter.result.tryFail(noConnection("no database connection became free within " + maxWaitMs + " ms"));
      closeIfRetiredAndIdle();
      updateReclaimable();
    }
  }

  /**
   * Holds one budget ticket per waiting statement that a new permit could start, and no more:
   * tickets for statements that started or gave up are withdrawn, so the budget never hands
   * this pool a permit it no longer needs (one granted meanwhile is simply used or kept).
   */
  private void balanceTickets() {
    int wanted = retired || closed ? 0 : Math.min(waiting.size(), maxConnections - permits);
    boolean queued = false;
    while (tickets.size() < wanted) {
      ConnectionBudget.Ticket[] self = new ConnectionBudget.Ticket[1];
      self[0] = budget.request(tenant, onThisContext, () -> onPermit(self[0]));
      if (self[0] == ConnectionBudget.GRANTED) {
        addPermit();
        startWaiting();
        return;
      }
      tickets.add(self[0]);
      queued = true;
    }
    while (tickets.size() > wanted) {
      budget.cancel(tickets.pollLast()); // if already granted, onPermit sees it is no longer ours
    }
    if (queued && budget.uncovered()) {
      budgetExhausted.run();
    }
  }

  private void addPermit() {
    if (permits++ == 0) {
      budget.register(this);
    }
  }

  /** Publishes to the budget whether it may reclaim this pool; called after every change of state. */
  private void updateReclaimable() {
    boolean now = permits > 0 && inFlight == 0 && waiting.isEmpty() && !retired && !closed;
    if (now != reclaimable) {
      reclaimable = now;
      if (now && budget.idlePoolWanted()) {
        budget.becameIdle();
      }
    }
  }

  /** The budget handed this pool a permit for one of its tickets. */
  private void onPermit(ConnectionBudget.Ticket ticket) {
    tickets.remove(ticket);
    if (closed) {
      budget.release(tenant, 1);
      return;
    }
    addPermit();
    startWaiting();
    closeIfRetiredAndIdle();
    updateReclaimable();
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
   * Stops the pool taking permits; it finishes its in-flight and queued statements on the
   * permits it has (evicted pools must not cut queries short), then closes and gives its
   * permits back once its connections are closed.
   */
  void retire() {
    retired = true;
    reclaimable = false;
    balanceTickets();
    closeIfRetiredAndIdle();
  }

  /**
   * Fails the statements waiting in this pool at once (503 {@code no_compute}, retry): for a pool
   * retired because its tenant holds more than its share while others wait. Otherwise the
   * retired pool would run its whole queue on the permits it holds before giving them back,
   * and a tenant under its share would wait for all of it.
   */
  void shedWaiting() {
    failWaiting(noConnection("the tenant holds more than its share of connections while other tenants wait; retry"));
  }

  /** Fails every waiting statement with {@code failure} ({@code no_compute}) and withdraws their budget tickets. */
  private void failWaiting(PgdoException failure) {
    waiting.forEach(waiter -> {
      vertx.cancelTimer(waiter.deadline);
      waiter.result.tryFail(failure);
    });
    waiting.clear();
    balanceTickets();
    updateReclaimable();
  }

  private void closeIfRetiredAndIdle() {
    if (retired && !closed && inFlight == 0) {
      closed = true;
      reclaimable = false;
      failWaiting(CLOSED_BEFORE_START);
      int held = permits;
      permits = 0;
      pool.close().onComplete(done -> budget.closed(this, held));
    }
  }
}
