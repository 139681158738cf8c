package dev.pgdo.compute;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * The node-wide cap on tenant connections ({@code compute.maxConnections}), shared by every
 * compute member of the node, with a fair share per tenant. A tenant pool holds a permit for each
 * connection it may open, so the node never holds more tenant connections than the budget.
 *
 * <p>Fairness (after PgBouncer's {@code max_db_connections} and pgdog's waiter queue):
 * <ul>
 *   <li>A pool that finds no permit free asks for one with {@link #request}; the ticket waits
 *       until someone {@link #release}s a permit, and the releaser hands the permit over: nobody
 *       polls.</li>
 *   <li>A released permit goes to the waiting tenant that holds the fewest permits (first come
 *       first served among equals), so an under-share tenant's statement goes before an
 *       over-share tenant's.</li>
 *   <li>While other tenants wait, a tenant already at its {@linkplain #share share} gets no
 *       further permit, not even from {@link #tryAcquire}.</li>
 * </ul>
 * A tenant's share is max-min fair: the permits not held by tenants that are satisfied (hold
 * some, want no more), split evenly between the tenants that want more, at least one.
 *
 * <p>Thread-safe: every member calls it from its own event loop. The critical sections are a few
 * map and tree operations, never I/O, so one monitor is cheaper than anything clever; a granted
 * ticket's callback runs on the executor its requester gave (its own event loop), outside the
 * monitor.
 */
public final class ConnectionBudget {

  /** What {@link #request} answers when a permit was free at once: the caller holds it already. */
  static final Ticket GRANTED = new Ticket("", 0, Runnable::run, () -> { });

  private final int capacity;
  private int used;
  private long sequence;
  /** Permits held per tenant, all members of the node together; tenants holding none are absent. */
  private final Map<String, Integer> held = new HashMap<>();
  /** Waiting tenants, the one to serve first at the head: fewest permits held, then oldest ticket. */
  private final TreeSet<Demand> demands = new TreeSet<>(Comparator.<Demand>comparingInt(d -> d.heldWhenQueued)
      .thenComparingLong(d -> d.tickets.peekFirst().seq));
  private final Map<String, Demand> demandByTenant = new HashMap<>();

  public ConnectionBudget(int capacity) {
    this.capacity = capacity;
  }

  /** A pool's wish for one permit; {@code onGrant} runs on {@code executor} once the permit is the pool's. */
  static final class Ticket {
    private final String tenant;
    private final long seq;
    private final Executor executor;
    private final Runnable onGrant;

    private Ticket(String tenant, long seq, Executor executor, Runnable onGrant) {
      this.tenant = tenant;
      this.seq = seq;
      this.executor = executor;
      this.onGrant = onGrant;
    }
  }

  /** One waiting tenant's tickets, in arrival order. */
  private static final class Demand {
    private final String tenant;
    private final ArrayDeque<Ticket> tickets = new ArrayDeque<>();
    /** The sort key, fixed while the demand is in the tree (re-inserted when it changes). */
    private int heldWhenQueued;

    private Demand(String tenant) {
      this.tenant = tenant;
    }
  }

  /** Takes a permit for {@code tenant} if one is free and no waiting tenant has a better claim to it. */
  synchronized boolean tryAcquire(String tenant) {
    if (used >= capacity) {
      return false;
    }
    if (othersWait(tenant) && heldBy(tenant) >= share(tenant)) {
      return false;
    }
    take(tenant);
    return true;
  }

  /**
   * A permit for {@code tenant}: {@link #GRANTED} if it was taken at once, else a ticket that
   * waits until a release hands it a permit (then {@code onGrant} runs on {@code executor}) or
   * until {@link #cancel}.
   */
  synchronized Ticket request(String tenant, Executor executor, Runnable onGrant) {
    if (tryAcquire(tenant)) {
      return GRANTED;
    }
    Ticket ticket = new Ticket(tenant, ++sequence, executor, onGrant);
    Demand demand = demandByTenant.get(tenant);
    if (demand == null) {
      demand = new Demand(tenant);
      demand.tickets.add(ticket);
      demand.heldWhenQueued = heldBy(tenant);
      demandByTenant.put(tenant, demand);
      demands.add(demand);
    } else {
      demand.tickets.add(ticket); // behind the head: the sort key does not change
    }
    return ticket;
  }

  /** Withdraws a waiting ticket; false if it was already granted (its callback is then on its way). */
  synchronized boolean cancel(Ticket ticket) {
    Demand demand = demandByTenant.get(ticket.tenant);
    if (demand == null || ticket == GRANTED) {
      return false;
    }
    boolean head = demand.tickets.peekFirst() == ticket;
    if (head) {
      demands.remove(demand);
    }
    boolean removed = demand.tickets.remove(ticket);
    if (demand.tickets.isEmpty()) {
      demandByTenant.remove(ticket.tenant);
    } else if (head) {
      demands.add(demand);
    }
    return removed;
  }

  /** Gives {@code permits} of {@code tenant} back and hands them to the tenants waiting for them. */
  void release(String tenant, int permits) {
    if (permits <= 0) {
      return;
    }
    ArrayDeque<Ticket> granted = new ArrayDeque<>();
    synchronized (this) {
      used -= permits;
      int left = heldBy(tenant) - permits;
      if (left > 0) {
        held.put(tenant, left);
      } else {
        held.remove(tenant);
      }
      resort(tenant);
      while (used < capacity && !demands.isEmpty()) {
        Demand next = demands.pollFirst();
        granted.add(next.tickets.pollFirst());
        // take() without its resort: next is out of the tree, and with its last ticket gone the
        // comparator (which reads the head ticket) would throw on any TreeSet.remove of it
        used++;
        held.merge(next.tenant, 1, Integer::sum);
        if (next.tickets.isEmpty()) {
          demandByTenant.remove(next.tenant);
        } else {
          next.heldWhenQueued = heldBy(next.tenant);
          demands.add(next);
        }
      }
    }
    granted.forEach(ticket -> ticket.executor.execute(ticket.onGrant));
  }

  /**
   * The most permits {@code tenant} may hold while other tenants wait: the permits that the
   * tenants wanting no more do not hold, split evenly between the waiting tenants and this one.
   */
  synchronized int share(String tenant) {
    int wanting = 1;
    int heldByWanting = heldBy(tenant);
    for (String waiting : demandByTenant.keySet()) {
      if (!waiting.equals(tenant)) {
        wanting++;
        heldByWanting += heldBy(waiting);
      }
    }
    int free = capacity - (used - heldByWanting);
    return Math.max(1, free / wanting);
  }

  /** True when other tenants wait for a permit and {@code tenant} holds more than its share. */
  synchronized boolean overShare(String tenant) {
    return othersWait(tenant) && heldBy(tenant) > share(tenant);
  }

  synchronized int heldBy(String tenant) {
    return held.getOrDefault(tenant, 0);
  }

  /** Tickets waiting for a permit, every tenant together. */
  synchronized int waiting() {
    int count = 0;
    for (Demand demand : demandByTenant.values()) {
      count += demand.tickets.size();
    }
    return count;
  }

  public int capacity() {
    return capacity;
  }

  public synchronized int used() {
    return used;
  }

  private boolean othersWait(String tenant) {
    return demandByTenant.size() > (demandByTenant.containsKey(tenant) ? 1 : 0);
  }

  private void take(String tenant) {
    used++;
    held.merge(tenant, 1, Integer::sum);
    resort(tenant);
  }

  /** Re-inserts a waiting tenant whose permit count changed, so the tree stays ordered. */
  private void resort(String tenant) {
    Demand demand = demandByTenant.get(tenant);
    if (demand != null && demands.remove(demand)) {
      demand.heldWhenQueued = heldBy(tenant);
      demands.add(demand);
    }
  }
}
