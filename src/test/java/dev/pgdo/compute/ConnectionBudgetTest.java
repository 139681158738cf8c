package dev.pgdo.compute;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node-wide connection budget: a fixed number of permits, a max-min fair share per tenant,
 * and waiting tickets that the releaser of a permit hands it to (nobody polls). Plain Java: the
 * budget has no Vert.x types, so a direct or a recording executor stands for an event loop.
 */
@DisplayName("The connection budget")
class ConnectionBudgetTest {

  /** Runs a grant at once, on the releasing thread. */
  private static final Executor DIRECT = Runnable::run;

  /** Records the order in which tickets are granted. */
  private static final class Grants {
    final List<String> order = new ArrayList<>();

    Runnable of(String name) {
      return () -> order.add(name);
    }
  }

  /** An executor that only queues: a grant runs when the test says so, as an event loop would later. */
  private static final class RecordingExecutor implements Executor {
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    void runAll() {
      for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
        task.run();
      }
    }
  }

  private static void acquire(ConnectionBudget budget, String tenant, int permits) {
    for (int i = 0; i < permits; i++) {
      assertThat(budget.tryAcquire(tenant)).as("permit %d of %s", i + 1, tenant).isTrue();
    }
  }

  @Nested
  @DisplayName("capacity")
  class Capacity {

    @Test
    @DisplayName("tryAcquire takes free permits, one tenant may take them all, and no more than the capacity")
    void tryAcquireStopsAtCapacity() {
      ConnectionBudget budget = new ConnectionBudget(3);
      acquire(budget, "a", 3);

      assertThat(budget.tryAcquire("a")).isFalse();
      assertThat(budget.tryAcquire("b")).isFalse();
      assertThat(budget.used()).isEqualTo(3);
      assertThat(budget.heldBy("a")).isEqualTo(3);
      assertThat(budget.heldBy("b")).isZero();
    }

    @Test
    @DisplayName("request answers GRANTED when a permit is free, without running the callback")
    void requestGrantsAtOnce() {
      ConnectionBudget budget = new ConnectionBudget(1);
      AtomicBoolean called = new AtomicBoolean();

      ConnectionBudget.Ticket ticket = budget.request("a", DIRECT, () -> called.set(true));

      assertThat(ticket).isSameAs(ConnectionBudget.GRANTED);
      assertThat(called).as("the caller holds the permit already; nothing is handed over").isFalse();
      assertThat(budget.heldBy("a")).isEqualTo(1);
      assertThat(budget.waiting()).isZero();
    }

    @Test
    @DisplayName("release with nobody waiting frees the capacity for the next tryAcquire")
    void releaseWithoutWaitersFreesCapacity() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "a", 2);

      budget.release("a", 2);

      assertThat(budget.used()).isZero();
      assertThat(budget.heldBy("a")).isZero();
      acquire(budget, "b", 2);
      assertThat(budget.tryAcquire("b")).isFalse();
    }

    @Test
    @DisplayName("releasing zero permits changes nothing and wakes nobody")
    void releaseOfNothing() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "a", 1);
      Grants grants = new Grants();
      budget.request("b", DIRECT, grants.of("b"));

      budget.release("a", 0);

      assertThat(grants.order).isEmpty();
      assertThat(budget.used()).isEqualTo(1);
      assertThat(budget.waiting()).isEqualTo(1);
    }

    @Test
    @DisplayName("a random sequence of acquires, requests, cancels and releases never holds more than the capacity")
    void neverOverCapacity() {
      for (long seed = 1; seed <= 50; seed++) {
        Random random = new Random(seed);
        int capacity = 1 + random.nextInt(5);
        ConnectionBudget budget = new ConnectionBudget(capacity);
        Map<String, Integer> held = new HashMap<>();
        List<ConnectionBudget.Ticket> waiting = new ArrayList<>();
        Map<ConnectionBudget.Ticket, String> tenantOf = new HashMap<>();
        List<ConnectionBudget.Ticket> cancelled = new ArrayList<>();
        List<ConnectionBudget.Ticket> granted = new ArrayList<>();
        for (int step = 0; step < 400; step++) {
          String tenant = "t" + random.nextInt(4);
          switch (random.nextInt(4)) {
            case 0 -> {
              if (budget.tryAcquire(tenant)) {
                held.merge(tenant, 1, Integer::sum);
              }
            }
            case 1 -> {
              ConnectionBudget.Ticket[] self = new ConnectionBudget.Ticket[1];
              self[0] = budget.request(tenant, DIRECT, () -> {
                granted.add(self[0]);
                waiting.remove(self[0]);
                held.merge(tenantOf.get(self[0]), 1, Integer::sum);
              });
              if (self[0] == ConnectionBudget.GRANTED) {
                held.merge(tenant, 1, Integer::sum);
              } else {
                tenantOf.put(self[0], tenant);
                waiting.add(self[0]);
              }
            }
            case 2 -> {
              if (!waiting.isEmpty()) {
                ConnectionBudget.Ticket ticket = waiting.remove(random.nextInt(waiting.size()));
                assertThat(budget.cancel(ticket)).as("a waiting ticket can be cancelled").isTrue();
                cancelled.add(ticket);
              }
            }
            default -> {
              int has = held.getOrDefault(tenant, 0);
              if (has > 0) {
                int n = 1 + random.nextInt(has);
                held.put(tenant, has - n);
                budget.release(tenant, n);
              }
            }
          }
          int sum = held.values().stream().mapToInt(Integer::intValue).sum();
          assertThat(budget.used()).as("seed %d step %d", seed, step).isLessThanOrEqualTo(capacity).isEqualTo(sum);
          for (String t : held.keySet()) {
            assertThat(budget.heldBy(t)).as("seed %d step %d %s", seed, step, t).isEqualTo(held.get(t));
          }
          assertThat(budget.waiting()).as("seed %d step %d", seed, step).isEqualTo(waiting.size());
          if (!waiting.isEmpty()) {
            assertThat(budget.used()).as("a ticket waits only while every permit is taken").isEqualTo(capacity);
          }
        }
        assertThat(granted).as("seed %d: no cancelled ticket is ever granted", seed).doesNotContainAnyElementsOf(cancelled);
        assertThat(granted).as("seed %d: no ticket is granted twice", seed).doesNotHaveDuplicates();
      }
    }

    @Test
    @DisplayName("eight threads hammering it concurrently never hold more permits than the capacity at once")
    void neverOverCapacityUnderConcurrency() throws Exception {
      int capacity = 3;
      ConnectionBudget budget = new ConnectionBudget(capacity);
      AtomicInteger inUse = new AtomicInteger();
      AtomicInteger maxInUse = new AtomicInteger();
      AtomicInteger completed = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      int threads = 8;
      int rounds = 2_000;
      CountDownLatch done = new CountDownLatch(threads);
      for (int t = 0; t < threads; t++) {
        String tenant = "t" + (t % 3);
        Thread thread = new Thread(() -> {
          try {
            for (int i = 0; i < rounds; i++) {
              CountDownLatch mine = new CountDownLatch(1);
              if (budget.request(tenant, DIRECT, mine::countDown) == ConnectionBudget.GRANTED) {
                mine.countDown();
              }
              if (!mine.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("a ticket of " + tenant + " was never granted");
              }
              int now = inUse.incrementAndGet();
              maxInUse.accumulateAndGet(now, Math::max);
              inUse.decrementAndGet();
              budget.release(tenant, 1);
              completed.incrementAndGet();
            }
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            done.countDown();
          }
        });
        thread.setDaemon(true);
        thread.start();
      }

      assertThat(done.await(20, TimeUnit.SECONDS)).as("all threads finished").isTrue();
      assertThat(errors).isEmpty();
      assertThat(completed.get()).isEqualTo(threads * rounds);
      assertThat(maxInUse.get()).isBetween(1, capacity);
      assertThat(budget.used()).isZero();
      assertThat(budget.waiting()).isZero();
    }
  }

  @Nested
  @DisplayName("waiting tickets")
  class Waiting {

    @Test
    @DisplayName("a request with no permit free waits, and the releaser hands it the permit")
    void releaserHandsOver() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "a", 1);
      Grants grants = new Grants();

      ConnectionBudget.Ticket ticket = budget.request("b", DIRECT, grants.of("b"));

      assertThat(ticket).isNotSameAs(ConnectionBudget.GRANTED);
      assertThat(grants.order).isEmpty();
      assertThat(budget.waiting()).isEqualTo(1);

      budget.release("a", 1);

      assertThat(grants.order).containsExactly("b");
      assertThat(budget.heldBy("b")).as("the permit is b's before its callback runs").isEqualTo(1);
      assertThat(budget.heldBy("a")).isZero();
      assertThat(budget.used()).isEqualTo(1);
      assertThat(budget.waiting()).isZero();
    }

    @Test
    @DisplayName("a release that grants a tenant's last ticket while another tenant still waits keeps the rest queued")
    void lastTicketWhileOthersWait() {
      // regression: release used to re-sort the tenant it had just served with its ticket queue
      // empty, and the tree's comparator threw, leaking the permit and never running the callback
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      Grants grants = new Grants();
      budget.request("a", DIRECT, grants.of("a"));
      budget.request("b", DIRECT, grants.of("b"));

      budget.release("x", 1);

      assertThat(grants.order).containsExactly("a");
      assertThat(budget.waiting()).isEqualTo(1);
      budget.release("a", 1);
      assertThat(grants.order).containsExactly("a", "b");
      assertThat(budget.used()).isEqualTo(1);
    }

    @Test
    @DisplayName("a freed permit goes to the waiter, not to whoever calls tryAcquire next")
    void waiterBeforeLateComer() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "a", 2);
      Grants grants = new Grants();
      budget.request("b", DIRECT, grants.of("b"));

      budget.release("a", 1);

      assertThat(grants.order).containsExactly("b");
      assertThat(budget.tryAcquire("a")).isFalse();
      assertThat(budget.tryAcquire("c")).isFalse();
    }

    @Test
    @DisplayName("a released permit goes to the waiting tenant holding the fewest permits")
    void fewestHeldFirst() {
      ConnectionBudget budget = new ConnectionBudget(4);
      acquire(budget, "rich", 2);
      acquire(budget, "middle", 1);
      acquire(budget, "other", 1);
      Grants grants = new Grants();
      budget.request("rich", DIRECT, grants.of("rich"));     // asked first, holds 2
      budget.request("middle", DIRECT, grants.of("middle")); // holds 1
      budget.request("poor", DIRECT, grants.of("poor"));     // asked last, holds none

      budget.release("other", 1);
      assertThat(grants.order).containsExactly("poor");

      budget.release("poor", 1);         // poor, now at 0 and not waiting, gives it back
      assertThat(grants.order).containsExactly("poor", "middle");

      budget.release("middle", 1);
      assertThat(grants.order).as("only rich still waits").containsExactly("poor", "middle", "rich");
    }

    @Test
    @DisplayName("among waiting tenants holding as many permits, the oldest ticket goes first; holding fewer beats being older")
    void fifoAmongEquals() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "x", 2);
      Grants grants = new Grants();
      budget.request("c", DIRECT, grants.of("c1"));
      budget.request("a", DIRECT, grants.of("a1"));
      budget.request("c", DIRECT, grants.of("c2"));
      budget.request("b", DIRECT, grants.of("b1"));

      budget.release("x", 2);

      assertThat(grants.order).as("c and a hold none; c asked first").containsExactly("c1", "a1");

      // c2 was asked for before b1, but c now holds a permit and b none: fewest held beats age
      budget.release("a", 1);
      assertThat(grants.order).containsExactly("c1", "a1", "b1");
    }

    @Test
    @DisplayName("a tenant's own tickets are served in the order they were asked for")
    void oneTenantsTicketsInOrder() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      Grants grants = new Grants();
      budget.request("a", DIRECT, grants.of("first"));
      budget.request("a", DIRECT, grants.of("second"));
      budget.request("a", DIRECT, grants.of("third"));

      budget.release("x", 1);
      budget.release("a", 1);
      budget.release("a", 1);

      assertThat(grants.order).containsExactly("first", "second", "third");
    }

    @Test
    @DisplayName("a releasing tenant that waits itself is ranked by what it holds after the release")
    void releaserIsReRanked() {
      ConnectionBudget budget = new ConnectionBudget(3);
      acquire(budget, "a", 2);
      acquire(budget, "b", 1);
      Grants grants = new Grants();
      budget.request("a", DIRECT, grants.of("a")); // a holds 2 when it asks
      budget.request("b", DIRECT, grants.of("b")); // b holds 1

      budget.release("a", 2); // a now holds none, fewer than b

      assertThat(grants.order).containsExactly("a", "b");
    }

    @Test
    @DisplayName("one release of several permits wakes as many waiters, fewest held first each time")
    void bulkRelease() {
      ConnectionBudget budget = new ConnectionBudget(3);
      acquire(budget, "x", 3);
      Grants grants = new Grants();
      budget.request("a", DIRECT, grants.of("a1"));
      budget.request("a", DIRECT, grants.of("a2"));
      budget.request("b", DIRECT, grants.of("b1"));
      budget.request("c", DIRECT, grants.of("c1"));

      budget.release("x", 3);

      assertThat(grants.order).as("a, b and c each get one before a gets a second").containsExactly("a1", "b1", "c1");
      assertThat(budget.waiting()).isEqualTo(1);
      assertThat(budget.used()).isEqualTo(3);
    }
  }

  @Nested
  @DisplayName("cancelled tickets")
  class Cancelled {

    @Test
    @DisplayName("are skipped: the permit goes to the next waiter")
    void skipped() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      Grants grants = new Grants();
      ConnectionBudget.Ticket first = budget.request("a", DIRECT, grants.of("a"));
      budget.request("b", DIRECT, grants.of("b"));

      assertThat(budget.cancel(first)).isTrue();
      assertThat(budget.waiting()).isEqualTo(1);
      budget.release("x", 1);

      assertThat(grants.order).containsExactly("b");
      assertThat(budget.heldBy("a")).isZero();
      assertThat(budget.heldBy("b")).isEqualTo(1);
    }

    @Test
    @DisplayName("a cancelled ticket behind the tenant's first one is skipped too, the first one still served")
    void skippedBehindTheHead() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      Grants grants = new Grants();
      budget.request("a", DIRECT, grants.of("a1"));
      ConnectionBudget.Ticket second = budget.request("a", DIRECT, grants.of("a2"));
      budget.request("a", DIRECT, grants.of("a3"));

      assertThat(budget.cancel(second)).isTrue();
      budget.release("x", 1);
      budget.release("a", 1);

      assertThat(grants.order).containsExactly("a1", "a3");
    }

    @Test
    @DisplayName("with every ticket cancelled a release just frees the permit")
    void allCancelled() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      Grants grants = new Grants();
      ConnectionBudget.Ticket ticket = budget.request("a", DIRECT, grants.of("a"));

      budget.cancel(ticket);
      budget.release("x", 1);

      assertThat(grants.order).isEmpty();
      assertThat(budget.used()).isZero();
      assertThat(budget.tryAcquire("c")).isTrue();
    }

    @Test
    @DisplayName("cancelling a ticket already granted (or GRANTED itself) answers false and leaves the permit held")
    void cancelAfterGrant() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      ConnectionBudget.Ticket ticket = budget.request("a", DIRECT, () -> { });
      budget.release("x", 1);

      assertThat(budget.cancel(ticket)).isFalse();
      assertThat(budget.cancel(ConnectionBudget.GRANTED)).isFalse();
      assertThat(budget.heldBy("a")).isEqualTo(1);
      assertThat(budget.used()).isEqualTo(1);
    }

    @Test
    @DisplayName("cancelling twice answers false the second time")
    void cancelTwice() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      ConnectionBudget.Ticket ticket = budget.request("a", DIRECT, () -> { });
      budget.request("a", DIRECT, () -> { });

      assertThat(budget.cancel(ticket)).isTrue();
      assertThat(budget.cancel(ticket)).isFalse();
      assertThat(budget.waiting()).isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("grant callbacks")
  class Callbacks {

    @Test
    @DisplayName("run on the executor the requester gave, not on the releasing thread")
    void onTheRequestersExecutor() {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      RecordingExecutor executor = new RecordingExecutor();
      Grants grants = new Grants();
      budget.request("a", executor, grants.of("a"));

      budget.release("x", 1);

      assertThat(grants.order).as("nothing ran on the releaser's thread").isEmpty();
      assertThat(executor.tasks).hasSize(1);
      assertThat(budget.heldBy("a")).as("the permit is a's already").isEqualTo(1);
      executor.runAll();
      assertThat(grants.order).containsExactly("a");
    }

    @Test
    @DisplayName("each on its own requester's executor")
    void eachOnItsOwn() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "x", 2);
      RecordingExecutor loopA = new RecordingExecutor();
      RecordingExecutor loopB = new RecordingExecutor();
      budget.request("a", loopA, () -> { });
      budget.request("b", loopB, () -> { });

      budget.release("x", 2);

      assertThat(loopA.tasks).hasSize(1);
      assertThat(loopB.tasks).hasSize(1);
    }

    @Test
    @DisplayName("run outside the budget's monitor, so a callback may call the budget from another thread")
    void outsideTheMonitor() throws Exception {
      ConnectionBudget budget = new ConnectionBudget(1);
      acquire(budget, "x", 1);
      AtomicBoolean heldLock = new AtomicBoolean(true);
      AtomicBoolean otherThreadGotIn = new AtomicBoolean();
      budget.request("a", DIRECT, () -> {
        heldLock.set(Thread.holdsLock(budget));
        Thread other = new Thread(() -> otherThreadGotIn.set(budget.heldBy("a") == 1));
        other.start();
        try {
          other.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });

      budget.release("x", 1);

      assertThat(heldLock).as("the callback ran holding the budget's monitor").isFalse();
      assertThat(otherThreadGotIn).isTrue();
    }
  }

  @Nested
  @DisplayName("fair share")
  class FairShare {

    @Test
    @DisplayName("with nobody waiting a tenant's share is the whole capacity less what others hold")
    void nobodyWaiting() {
      ConnectionBudget budget = new ConnectionBudget(6);
      acquire(budget, "a", 2);
      acquire(budget, "b", 1);

      assertThat(budget.share("a")).isEqualTo(5);
      assertThat(budget.share("c")).isEqualTo(3);
      assertThat(budget.overShare("a")).as("nobody waits").isFalse();
    }

    @Test
    @DisplayName("is max-min fair: what satisfied tenants hold is set aside, the rest split between those wanting more")
    void maxMin() {
      ConnectionBudget budget = new ConnectionBudget(6);
      acquire(budget, "greedy", 4);
      acquire(budget, "satisfied", 1);
      acquire(budget, "starved", 1);
      budget.request("greedy", DIRECT, () -> { });
      budget.request("starved", DIRECT, () -> { });

      // wanting more: greedy (4) and starved (1); satisfied keeps its 1; (6 - 1) / 2 = 2
      assertThat(budget.share("greedy")).isEqualTo(2);
      assertThat(budget.share("starved")).isEqualTo(2);
      // asked for satisfied, it counts as wanting too: 6 / 3 = 2
      assertThat(budget.share("satisfied")).isEqualTo(2);
      assertThat(budget.overShare("greedy")).isTrue();
      assertThat(budget.overShare("starved")).isFalse();
      assertThat(budget.overShare("satisfied")).isFalse();
    }

    @Test
    @DisplayName("is at least one permit, however many tenants want more")
    void atLeastOne() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "a", 2);
      for (String tenant : List.of("b", "c", "d", "e")) {
        budget.request(tenant, DIRECT, () -> { });
      }

      assertThat(budget.share("b")).isEqualTo(1);
      assertThat(budget.share("a")).isEqualTo(1);
      assertThat(budget.overShare("a")).isTrue();
    }

    @Test
    @DisplayName("a tenant at its share gets nothing from tryAcquire while others wait, even after a release")
    void atShareWhileOthersWait() {
      ConnectionBudget budget = new ConnectionBudget(4);
      acquire(budget, "a", 2);
      acquire(budget, "b", 2);
      Grants grants = new Grants();
      budget.request("c", DIRECT, grants.of("c1"));
      budget.request("c", DIRECT, grants.of("c2"));

      assertThat(budget.share("a")).isEqualTo(1);
      assertThat(budget.tryAcquire("a")).isFalse();

      budget.release("b", 1);
      assertThat(budget.tryAcquire("a")).as("the freed permit went to c").isFalse();
      assertThat(grants.order).containsExactly("c1");
      assertThat(budget.tryAcquire("b")).isFalse();
    }

    @Test
    @DisplayName("is not held against the only waiting tenant itself")
    void ownDemandDoesNotCount() {
      ConnectionBudget budget = new ConnectionBudget(2);
      acquire(budget, "a", 1);
      acquire(budget, "b", 1);
      budget.request("a", DIRECT, () -> { });

      assertThat(budget.overShare("a")).as("only a itself waits").isFalse();
      assertThat(budget.overShare("b")).as("b holds 1 of a share of 1").isFalse();
    }
  }

  /** A pool as the budget sees it: permits taken from the budget, idle or busy, last used at a given time. */
  private static final class FakeHolder implements ConnectionBudget.Holder {
    final ConnectionBudget budget;
    final String tenant;
    final long lastUsed;
    final int permits;
    final Executor loop;
    boolean idle = true;
    int reclaimed;

    FakeHolder(ConnectionBudget budget, String tenant, int permits, long lastUsed) {
      this(budget, tenant, permits, lastUsed, DIRECT);
    }

    FakeHolder(ConnectionBudget budget, String tenant, int permits, long lastUsed, Executor loop) {
      this.budget = budget;
      this.loop = loop;
      this.tenant = tenant;
      this.permits = permits;
      this.lastUsed = lastUsed;
      acquire(budget, tenant, permits);
      budget.register(this);
    }

    @Override public String tenant() { return tenant; }
    @Override public boolean reclaimable() { return idle && reclaimed == 0; }
    @Override public long lastUsedNanos() { return lastUsed; }
    @Override public int permits() { return permits; }
    @Override public Executor executor() { return loop; }

    @Override
    public void reclaim() {
      if (!idle) {
        budget.reclaimMissed(this);
        return;
      }
      reclaimed++;
      budget.closed(this, permits);
    }
  }

  @Nested
  @DisplayName("reclaiming idle pools")
  class Reclaim {

    @Test
    @DisplayName("a waiting ticket takes the permits of the idle pool used longest ago, and of no other")
    void coldestFirst() {
      ConnectionBudget budget = new ConnectionBudget(3);
      FakeHolder warm = new FakeHolder(budget, "warm", 1, 300);
      FakeHolder coldest = new FakeHolder(budget, "coldest", 1, 100);
      FakeHolder cold = new FakeHolder(budget, "cold", 1, 200);
      Grants grants = new Grants();

      budget.request("new", DIRECT, grants.of("new"));

      assertThat(grants.order).containsExactly("new");
      assertThat(coldest.reclaimed).isEqualTo(1);
      assertThat(cold.reclaimed + warm.reclaimed).as("one eviction for one waiting ticket").isZero();
      assertThat(budget.heldBy("new")).isEqualTo(1);
      assertThat(budget.used()).isEqualTo(3);
    }

    @Test
    @DisplayName("a pool with several permits covers as many waiting tickets")
    void onePoolManyTickets() {
      ConnectionBudget budget = new ConnectionBudget(3);
      RecordingExecutor loop = new RecordingExecutor();
      FakeHolder big = new FakeHolder(budget, "big", 2, 100, loop);
      FakeHolder small = new FakeHolder(budget, "small", 1, 50, loop);
      small.idle = false;
      Grants grants = new Grants();

      budget.request("new", DIRECT, grants.of("n1"));
      budget.request("new", DIRECT, grants.of("n2"));
      assertThat(loop.tasks).as("one reclaim covers both tickets").hasSize(1);
      loop.runAll();

      assertThat(grants.order).containsExactly("n1", "n2");
      assertThat(big.reclaimed).isEqualTo(1);
      assertThat(small.reclaimed).as("busy").isZero();
    }

    @Test
    @DisplayName("busy pools are never reclaimed: the ticket waits, uncovered, until a permit is released")
    void busyNotReclaimed() {
      ConnectionBudget budget = new ConnectionBudget(1);
      FakeHolder busy = new FakeHolder(budget, "busy", 1, 100);
      busy.idle = false;
      Grants grants = new Grants();

      budget.request("new", DIRECT, grants.of("new"));

      assertThat(grants.order).isEmpty();
      assertThat(busy.reclaimed).isZero();
      assertThat(budget.uncovered()).as("no idle pool covers the waiting ticket").isTrue();
      budget.release("busy", 1);
      assertThat(grants.order).containsExactly("new");
      assertThat(budget.uncovered()).isFalse();
    }

    @Test
    @DisplayName("a pool that turned busy before its reclaim ran passes it on to the next coldest")
    void missedReclaimMovesOn() {
      ConnectionBudget budget = new ConnectionBudget(2);
      RecordingExecutor loop = new RecordingExecutor();
      FakeHolder coldest = new FakeHolder(budget, "coldest", 1, 100, loop);
      FakeHolder next = new FakeHolder(budget, "next", 1, 200, loop);
      Grants grants = new Grants();

      budget.request("new", DIRECT, grants.of("new"));
      coldest.idle = false; // its own statement started before the reclaim reached it
      loop.runAll();

      assertThat(coldest.reclaimed).isZero();
      assertThat(next.reclaimed).isEqualTo(1);
      assertThat(grants.order).containsExactly("new");
    }

    @Test
    @DisplayName("a waiting tenant whose last permit comes back (its old pool closed) gets a reclaim then")
    void reclaimWhenTheLastPermitGoes() {
      ConnectionBudget budget = new ConnectionBudget(2);
      RecordingExecutor loop = new RecordingExecutor();
      FakeHolder idle = new FakeHolder(budget, "idle", 1, 100, loop);
      acquire(budget, "t", 1); // held by t's old pool, which is closing
      budget.request("t", DIRECT, () -> { });
      assertThat(loop.tasks).as("t holds a permit: it waits for its own").isEmpty();

      budget.request("u", DIRECT, () -> { }); // takes the permit t's old pool gives back
      budget.release("t", 1);
      loop.runAll();

      assertThat(idle.reclaimed).as("t, now holding nothing, got the idle pool's permit").isEqualTo(1);
      assertThat(budget.heldBy("t")).isEqualTo(1);
      assertThat(budget.waiting()).isZero();
    }

    @Test
    @DisplayName("a tenant whose only permits sit idle in another member's pool counts as holding none")
    void idlePermitsElsewhereDoNotCount() {
      ConnectionBudget budget = new ConnectionBudget(2);
      RecordingExecutor loop = new RecordingExecutor();
      FakeHolder cold = new FakeHolder(budget, "cold", 1, 100, loop);
      new FakeHolder(budget, "t", 1, 200, loop); // t pre-warmed in another region's member
      Grants grants = new Grants();

      budget.request("t", DIRECT, grants.of("t"));
      loop.runAll();

      assertThat(cold.reclaimed).as("t's idle permit elsewhere never comes to this pool").isEqualTo(1);
      assertThat(grants.order).containsExactly("t");
    }

    @Test
    @DisplayName("while a tenant uses more than its share, no idle pool is reclaimed: that tenant is to be shed instead")
    void overShareTenantShedFirst() {
      ConnectionBudget budget = new ConnectionBudget(3);
      FakeHolder calm = new FakeHolder(budget, "calm", 1, 100);
      FakeHolder flood = new FakeHolder(budget, "flood", 2, 200);
      flood.idle = false;
      budget.request("flood", DIRECT, () -> { });

      budget.request("cold", DIRECT, () -> { });

      assertThat(budget.overShare("flood")).as("flood uses 2 of a share of 1").isTrue();
      assertThat(calm.reclaimed).as("calm keeps its warm connection").isZero();
      assertThat(budget.uncovered()).as("cold's pool asks the members to shed flood").isTrue();
    }

    @Test
    @DisplayName("no pool is reclaimed while a free permit could serve the ticket")
    void freePermitsFirst() {
      ConnectionBudget budget = new ConnectionBudget(2);
      FakeHolder idle = new FakeHolder(budget, "idle", 1, 100);
      Grants grants = new Grants();

      assertThat(budget.request("new", DIRECT, grants.of("new"))).isSameAs(ConnectionBudget.GRANTED);
      assertThat(idle.reclaimed).isZero();
    }

    @Test
    @DisplayName("idle permits count as free in the fair share: a busy tenant is not over its share because of them")
    void idlePermitsAreFreeForTheShare() {
      ConnectionBudget budget = new ConnectionBudget(4);
      RecordingExecutor loop = new RecordingExecutor(); // the reclaims never run
      new FakeHolder(budget, "idle-1", 1, 100, loop);
      new FakeHolder(budget, "idle-2", 1, 100, loop);
      FakeHolder busy = new FakeHolder(budget, "busy", 2, 200, loop);
      busy.idle = false;
      budget.request("busy", DIRECT, () -> { });
      budget.request("other", DIRECT, () -> { });

      // busy (2) and other (0) want more; idle-1 and idle-2 hold 2 permits nobody uses: 4 / 2 = 2
      assertThat(budget.share("busy")).isEqualTo(2);
      assertThat(budget.overShare("busy")).isFalse();
    }
  
    @Test
    @DisplayName("a tenant that holds permits waits for its own: no idle pool of another tenant is reclaimed for it")
    void onlyForTenantsWithoutPermits() {
      ConnectionBudget budget = new ConnectionBudget(2);
      FakeHolder idle = new FakeHolder(budget, "idle", 1, 100);
      acquire(budget, "flood", 1);
      Grants grants = new Grants();

      budget.request("flood", DIRECT, grants.of("flood"));

      assertThat(idle.reclaimed).isZero();
      assertThat(grants.order).isEmpty();
      assertThat(budget.uncovered()).as("its pool then asks the members to shed an over-share tenant").isTrue();
    }
}
}
