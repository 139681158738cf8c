package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.it.TestDatabase;
import dev.pgdo.tenant.TenantRestrictions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One tenant's pool on one member: a statement runs only on a permit from the node's budget, a
 * statement without one waits in a bounded queue until a permit frees (woken by whoever frees
 * it, never by a timer) or its deadline passes, and a retired pool finishes what it has, then
 * closes and gives its permits back.
 *
 * <p>Against the real test PostgreSQL (as its superuser, to the {@code postgres} database: the
 * pool only needs connections), built as {@code TenantPools.create} builds it, wire tap
 * included. Everything that touches a pool runs on one Vert.x context, as on a member's event
 * loop; the test thread only waits for futures. A statement is "gated": it holds its connection
 * until the test opens its gate.
 */
@DisplayName("A tenant pool")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TenantPoolTest {

  /** Larger than any pool's permits here, so only the permits can be what bounds the connections. */
  private static final int SQL_POOL_MAX_SIZE = 8;
  private static final long LONG_WAIT_MS = 20_000;
  private static final long AWAIT_S = 15;

  private static Vertx vertx;
  private static PgConnectOptions server;
  private static Pool observer;

  private Context context;
  private String application;
  private final List<TenantPool> pools = new ArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
    server = PgConnectOptions.fromUri(TestDatabase.url());
    observer = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(server).using(vertx).build();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void newContext() {
    context = vertx.getOrCreateContext();
    application = "tenant-pool-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void retireAll() throws Exception {
    run(() -> pools.forEach(TenantPool::retire));
  }

  // ---------------------------------------------------------------- helpers

  /** Runs {@code action} on the test's context (the pools' event loop) and waits for its answer. */
  private <T> T on(Callable<T> action) throws Exception {
    Promise<T> answer = Promise.promise();
    context.runOnContext(v -> {
      try {
        answer.complete(action.call());
      } catch (Throwable e) {
        answer.fail(e);
      }
    });
    return answer.future().await(AWAIT_S, TimeUnit.SECONDS);
  }

  /** Runs {@code action} on the test's context and waits until it has run. */
  private void run(Runnable action) throws Exception {
    on(() -> {
      action.run();
      return null;
    });
  }

  /** Waits until {@code count} of the statements have started. */
  private void awaitStarted(Statements s, int count) throws Exception {
    on(() -> s.startedCount(count)).await(AWAIT_S, TimeUnit.SECONDS);
  }

  private TenantPool pool(String tenant, ConnectionBudget budget, int maxConnections, int maxWaiting,
                          long maxWaitMs, Runnable budgetExhausted) throws Exception {
    return on(() -> {
      PgConnectOptions connect = new PgConnectOptions(server)
          .setPipeliningLimit(1)
          .addProperty("application_name", applicationOf(tenant));
      Pool sql = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(SQL_POOL_MAX_SIZE))
          .connectingTo(connect)
          .using(vertx)
          .withConnectHandler(conn -> {
            WireTap.install(conn, () -> PgConnection.cast(conn).cancelRequest());
            conn.close();
          })
          .build();
      TenantPool pool = new TenantPool(tenant, "role_" + tenant, sql, vertx, budget, TenantRestrictions.of(vertx),
          maxConnections, maxWaiting, maxWaitMs, budgetExhausted, self -> { }); // no owner: a reclaimed pool retires itself
      pools.add(pool);
      return pool;
    });
  }

  private TenantPool pool(String tenant, ConnectionBudget budget, int maxConnections) throws Exception {
    return pool(tenant, budget, maxConnections, 10, LONG_WAIT_MS, () -> { });
  }

  private String applicationOf(String tenant) {
    return application + "-" + tenant;
  }

  /** Backends PostgreSQL has open for the tenant's pool, counted behind the pool's back. */
  private long backends(String tenant) {
    return observer.preparedQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
        .execute(Tuple.of(applicationOf(tenant))).await().iterator().next().getLong(0);
  }

  /**
   * Statements that hold their connection until the test opens their gate; counted while they
   * run. Touched only on the test's context.
   */
  private static final class Statements {
    final List<Promise<Void>> gates = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    int started;
    int running;
    int maxRunning;
    private final List<StartedCount> startedCountReached = new ArrayList<>();

    private record StartedCount(int count, Promise<Void> reached) {
    }

    /** A statement that runs {@code SELECT 1}, then holds its connection until its gate opens. */
    Future<String> gated(TenantPool pool, String name) {
      Promise<Void> gate = Promise.promise();
      gates.add(gate);
      return pool.withConnection(conn -> {
        onStart(name);
        return conn.query("SELECT 1").execute()
            .compose(rows -> gate.future())
            .map(v -> name)
            .andThen(done -> running--);
      }).andThen(done -> events.add(name + (done.succeeded() ? " done" : " failed")));
    }

    /** A statement that runs {@code SELECT 1} and gives its connection back at once. */
    Future<String> quick(TenantPool pool, String name) {
      return pool.withConnection(conn -> {
        onStart(name);
        return conn.query("SELECT 1").execute().map(rows -> name).andThen(done -> running--);
      }).andThen(done -> events.add(name + (done.succeeded() ? " done" : " failed")));
    }

    private void onStart(String name) {
      events.add(name + " started");
      started++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      for (var it = startedCountReached.iterator(); it.hasNext(); ) {
        StartedCount waiter = it.next();
        if (started >= waiter.count()) {
          it.remove();
          waiter.reached().complete();
        }
      }
    }

    /** Completes once {@code count} statements have started (at once if they have). */
    Future<Void> startedCount(int count) {
      if (started >= count) {
        return Future.succeededFuture();
      }
      Promise<Void> reached = Promise.promise();
      startedCountReached.add(new StartedCount(count, reached));
      return reached.future();
    }

    void open(int index) {
      gates.get(index).complete();
    }
  }

  private static PgdoException noCompute(Throwable failure) {
    assertThat(failure).isInstanceOf(PgdoException.class);
    PgdoException e = (PgdoException) failure;
    assertThat(e.code()).isEqualTo(ErrorCode.NO_COMPUTE);
    return e;
  }

  // ---------------------------------------------------------------- the specification

  @Test
  @DisplayName("never opens more connections than it holds permits, and takes permits only as statements need them")
  void connectionsBoundedByPermits() throws Exception {
    ConnectionBudget budget = new ConnectionBudget(2);
    AtomicInteger exhausted = new AtomicInteger();
    TenantPool pool = pool("a", budget, 4, 10, LONG_WAIT_MS, exhausted::incrementAndGet);
    Statements s = on(Statements::new);

    Future<String> first = on(() -> s.gated(pool, "s0"));
    awaitStarted(s, 1);
    assertThat(on(pool::permits)).as("one statement, one permit").isEqualTo(1);
    assertThat(budget.used()).isEqualTo(1);

    List<Future<String>> rest = on(() -> List.of(s.gated(pool, "s1"), s.gated(pool, "s2"), s.gated(pool, "s3"),
        s.gated(pool, "s4")));
    awaitStarted(s, 2);

    assertThat(on(() -> s.started)).as("the budget has 2 permits").isEqualTo(2);
    assertThat(on(pool::permits)).isEqualTo(2);
    assertThat(on(pool::inFlight)).isEqualTo(2);
    assertThat(on(pool::connections)).isEqualTo(2);
    assertThat(backends("a")).as("backends PostgreSQL sees for the pool").isEqualTo(2);
    assertThat(budget.used()).isEqualTo(2);
    assertThat(budget.waiting()).as("the pool holds budget tickets for the statements it could start").isPositive();
    assertThat(exhausted).as("the pool said it waits for the node's budget").hasPositiveValue();

    for (int i = 0; i < 5; i++) {
      int gate = i;
      run(() -> s.open(gate));
      (gate == 0 ? first : rest.get(gate - 1)).await(AWAIT_S, TimeUnit.SECONDS);
      assertThat(on(pool::connections)).as("after statement %d", gate).isLessThanOrEqualTo(on(pool::permits));
    }
    for (Future<String> f : rest) {
      assertThat(f.await(AWAIT_S, TimeUnit.SECONDS)).startsWith("s");
    }
    assertThat(on(() -> s.maxRunning)).as("statements ever running at once").isEqualTo(2);
    assertThat(on(() -> s.started)).isEqualTo(5);
    assertThat(on(pool::connections)).isLessThanOrEqualTo(2);
    assertThat(budget.used()).as("permits are kept until the pool closes").isEqualTo(2);
    assertThat(budget.waiting()).as("no ticket left once nothing waits").isZero();
  }

  @Test
  @DisplayName("a statement beyond its permits waits, and the statement that ends starts it, before its own answer is delivered")
  void waiterStartsWhenOneEnds() throws Exception {
    ConnectionBudget budget = new ConnectionBudget(1);
    TenantPool pool = pool("a", budget, 1);
    Statements s = on(Statements::new);

    Future<String> first = on(() -> s.gated(pool, "first"));
    awaitStarted(s, 1);
    Future<String> second = on(() -> s.quick(pool, "second"));

    assertThat(on(() -> second.isComplete())).isFalse();
    assertThat(on(() -> s.started)).as("the second statement waits").isEqualTo(1);
    assertThat(on(pool::idle)).isFalse();

    // What the pool has done by the time the first statement's answer is delivered: a waiter
    // woken by the release itself has started by then; one left to a polling timer has not.
    Future<Integer> inFlightWhenFirstAnswered = on(() -> {
      Promise<Integer> seen = Promise.promise();
      first.onComplete(done -> seen.complete(pool.inFlight()));
      s.open(0);
      return seen.future();
    });

    assertThat(inFlightWhenFirstAnswered.await(AWAIT_S, TimeUnit.SECONDS))
        .as("statements in flight when the first one's answer was delivered").isEqualTo(1);
    assertThat(first.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(second.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("second");
    assertThat(on(() -> s.events)).containsExactlyInAnyOrder("first started", "second started", "first done",
        "second done").startsWith("first started");
    assertThat(on(() -> s.maxRunning)).isEqualTo(1);
  }

  @Test
  @DisplayName("a statement past the queue bound fails with no_compute at once; those queued still run")
  void queueBound() throws Exception {
    ConnectionBudget budget = new ConnectionBudget(1);
    TenantPool pool = pool("a", budget, 1, 2, LONG_WAIT_MS, () -> { });
    Statements s = on(Statements::new);

    Future<String> first = on(() -> s.gated(pool, "first"));
    awaitStarted(s, 1);
    List<Future<String>> queued = on(() -> List.of(s.quick(pool, "q1"), s.quick(pool, "q2")));

    Throwable refused = on(() -> {
      Future<String> overflow = s.quick(pool, "overflow");
      return overflow.failed() ? overflow.cause() : null; // asked in the same turn as the call
    });

    assertThat(refused).as("the statement over the bound was refused at once").isNotNull();
    assertThat(noCompute(refused)).hasMessageContaining("too many statements are waiting");
    assertThat(on(() -> queued.stream().noneMatch(Future::isComplete))).as("the queued ones still wait").isTrue();

    run(() -> s.open(0));
    assertThat(first.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(queued.get(0).await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("q1");
    assertThat(queued.get(1).await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("q2");
    assertThat(on(() -> s.events)).doesNotContain("overflow started");
  }

  @Test
  @DisplayName("a waiter still without a connection at maxWaitMs fails with no_compute, and leaves no budget ticket behind")
  void deadline() throws Exception {
    long maxWaitMs = 300;
    ConnectionBudget budget = new ConnectionBudget(1);
    TenantPool pool = pool("a", budget, 2, 10, maxWaitMs, () -> { });
    Statements s = on(Statements::new);

    Future<String> first = on(() -> s.gated(pool, "first"));
    awaitStarted(s, 1);
    long askedAt = System.nanoTime();
    Future<String> late = on(() -> s.quick(pool, "late"));
    assertThat(budget.waiting()).as("the waiter holds a ticket for a second permit").isEqualTo(1);

    Throwable failure = late.transform(Future::succeededFuture).await(AWAIT_S, TimeUnit.SECONDS).cause();
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - askedAt);

    assertThat(failure).as("the late statement failed").isNotNull();
    assertThat(noCompute(failure)).hasMessageContaining("within " + maxWaitMs + " ms");
    assertThat(waitedMs).as("it waited out its deadline").isGreaterThanOrEqualTo(maxWaitMs - 20);
    assertThat(budget.waiting()).as("its budget ticket was withdrawn").isZero();
    assertThat(on(() -> first.isComplete())).as("the running statement is not cut short").isFalse();

    Future<Integer> startedWhenFirstAnswered = on(() -> {
      Promise<Integer> seen = Promise.promise();
      first.onComplete(done -> seen.complete(s.started));
      s.open(0);
      return seen.future();
    });
    assertThat(startedWhenFirstAnswered.await(AWAIT_S, TimeUnit.SECONDS))
        .as("the expired statement never starts").isEqualTo(1);
    assertThat(first.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(on(pool::idle)).isTrue();
  }

  @Test
  @DisplayName("a retired pool finishes its in-flight and queued statements, then closes and gives its permits to the tenant waiting")
  void retireFinishesThenGivesPermitsBack() throws Exception {
    OnlyPermitBusy t = onlyPermitBusy();
    ConnectionBudget budget = t.budget;
    TenantPool a = t.a;
    Statements s = t.s;
    Future<String> a1 = t.a1;
    Future<String> b1 = t.b1;
    Future<String> a2 = on(() -> s.quick(a, "a2"));
    assertThat(budget.waiting()).as("b waits for the node's only permit; a2 waits in a's own queue").isEqualTo(1);

    run(a::retire);

    assertThat(on(() -> a1.isComplete() || a2.isComplete() || b1.isComplete()))
        .as("retiring cuts nothing short and frees nothing yet").isFalse();
    assertThat(budget.heldBy("a")).isEqualTo(1);

    run(() -> s.open(0));
    assertThat(a1.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("a1");
    assertThat(a2.await(AWAIT_S, TimeUnit.SECONDS)).as("the queued statement ran on the permit a held").isEqualTo("a2");
    assertThat(b1.await(AWAIT_S, TimeUnit.SECONDS)).as("b got the permit a gave back").isEqualTo("b1");

    assertThat(on(() -> s.events)).as("b starts only once a has finished everything")
        .containsSubsequence("a1 started", "a1 done", "a2 done", "b1 started", "b1 done")
        .containsSubsequence("a2 started", "a2 done");
    assertThat(budget.heldBy("a")).isZero();
    assertThat(budget.heldBy("b")).isEqualTo(1);
    assertThat(on(a::permits)).isZero();
    assertThat(on(a::connections)).as("a's connections are closed").isZero();

    Throwable refused = on(() -> {
      Future<String> more = a.withConnection(conn -> Future.succeededFuture("ran"));
      return more.failed() ? more.cause() : null;
    });
    assertThat(refused).as("a closed pool refuses at once").isNotNull();
    assertThat(noCompute(refused)).hasMessageContaining("closing");
  }

  @Test
  @DisplayName("a tenant waiting with no permit gets the permit of the busy pool as soon as that pool goes idle")
  void reclaimedWhenItGoesIdle() throws Exception {
    OnlyPermitBusy t = onlyPermitBusy();
    assertThat(t.budget.waiting()).as("b waits: a is busy, so nothing can be reclaimed yet").isEqualTo(1);

    run(() -> t.s.open(0));

    assertThat(t.a1.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("a1");
    assertThat(t.b1.await(AWAIT_S, TimeUnit.SECONDS)).as("b ran on the permit a gave back once idle").isEqualTo("b1");
    assertThat(t.budget.heldBy("a")).isZero();
    assertThat(t.budget.heldBy("b")).isEqualTo(1);
  }

  @Test
  @DisplayName("a pool retired while its statement waits for a first permit fails it as never started (the member runs it on the next pool)")
  void retiredBeforeStart() throws Exception {
    OnlyPermitBusy t = onlyPermitBusy();
    run(t.b::retire); // e.g. the member's pool cache evicted b while b1 waited

    t.b1.transform(done -> Future.succeededFuture()).await(AWAIT_S, TimeUnit.SECONDS);
    assertThat(t.b1.failed()).isTrue();
    assertThat(t.b1.cause()).as("the very failure QueryService runs again").isSameAs(TenantPool.CLOSED_BEFORE_START);
    assertThat(on(() -> t.s.events)).as("b1 never started").doesNotContain("b1 started");
    run(() -> t.s.open(0));
    assertThat(t.a1.await(AWAIT_S, TimeUnit.SECONDS)).isEqualTo("a1");
  }

  /** The node's only permit, busy with a's gated statement a1, while b's statement b1 waits for it. */
  private record OnlyPermitBusy(ConnectionBudget budget, TenantPool a, TenantPool b, Statements s,
                                Future<String> a1, Future<String> b1) {
  }

  private OnlyPermitBusy onlyPermitBusy() throws Exception {
    ConnectionBudget budget = new ConnectionBudget(1);
    TenantPool a = pool("a", budget, 1);
    TenantPool b = pool("b", budget, 1);
    Statements s = on(Statements::new);
    Future<String> a1 = on(() -> s.gated(a, "a1"));
    awaitStarted(s, 1);
    Future<String> b1 = on(() -> s.quick(b, "b1"));
    return new OnlyPermitBusy(budget, a, b, s, a1, b1);
  }

  @Test
  @DisplayName("an idle pool is reclaimed for a tenant waiting: it closes at once and hands over its permits")
  void idlePoolReclaimed() throws Exception {
    ConnectionBudget budget = new ConnectionBudget(2);
    TenantPool a = pool("a", budget, 2);
    TenantPool b = pool("b", budget, 3);
    Statements s = on(Statements::new);

    List<Future<String>> warm = on(() -> List.of(s.gated(a, "a1"), s.gated(a, "a2")));
    awaitStarted(s, 2);
    run(() -> {
      s.open(0);
      s.open(1);
    });
    for (Future<String> f : warm) {
      f.await(AWAIT_S, TimeUnit.SECONDS);
    }
    assertThat(on(a::idle)).isTrue();
    assertThat(budget.heldBy("a")).as("an idle pool keeps its permits").isEqualTo(2);

    List<Future<String>> waiting = on(() -> List.of(s.gated(b, "b1"), s.gated(b, "b2")));
    awaitStarted(s, 4);

    assertThat(budget.heldBy("a")).isZero();
    assertThat(budget.heldBy("b")).isEqualTo(2);
    assertThat(on(b::permits)).isEqualTo(2);
    run(() -> {
      s.open(2);
      s.open(3);
    });
    for (Future<String> f : waiting) {
      assertThat(f.await(AWAIT_S, TimeUnit.SECONDS)).startsWith("b");
    }
  }
}
