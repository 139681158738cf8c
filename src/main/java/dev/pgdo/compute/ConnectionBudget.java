package dev.pgdo.compute;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *   <li>When a tenant that uses no permit has to wait (its first connection: a miss; permits
 *       it holds idle in another member's pool do not count, since they never come to it), the
 *       budget reclaims one idle pool for it: the pool (a {@link Holder}) whose last statement
 *       ended longest ago, node-wide, so a miss costs one eviction, never one per member (an LRU
 *       cache of connections over the whole node); when no pool is idle, the next one to go idle
 *       is. A tenant whose permits are busy waits for its own or for a release instead. And while
 *       any tenant uses more than its share, nothing is reclaimed: that tenant is shed, so a
 *       flood never takes an idle tenant's warm connection. Whenever tickets wait that no
 *       reclaim covers ({@link #uncovered}), the waiting pool asks the members to shed an
 *       over-share tenant.</li>
 * </ul>
 * A tenant's share is max-min fair: the permits not held by tenants that are satisfied (hold
 * some, want no more, and use them: idle permits count as free, since they can be reclaimed),
 * split evenly between the tenants that want more, at least one.
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
  private int waitingTickets;
  /** Pools holding at least one permit (so never more than the capacity), the reclaim candidates. */
  private final Set<Holder> holders = new HashSet<>();
  /** Holders asked to give their permits back and not yet done, with the permits each is expected to return. */
  private final Map<Holder, Integer> reclaiming = new HashMap<>();
  private int reclaimingPermits;
  /** Set while tickets of tenants holding nothing wait that no idle pool could cover: the next pool to go idle is wanted. */
  private volatile boolean idlePoolWanted;

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

  /**
   * A pool holding permits, as the budget sees it from other threads: the hints may be stale by
   * the time it acts on them, so {@link #reclaim} re-checks on the holder's own event loop.
   */
  interface Holder {

    String tenant();

    /** Whether it holds permits and nothing of its runs or waits: a candidate to reclaim. */
    boolean reclaimable();

    /** When its last statement ended ({@link System#nanoTime}): the coldest is reclaimed first. */
    long lastUsedNanos();

    int permits();

    /** The holder's own event loop. */
    Executor executor();

    /**
     * On {@link #executor}: gives every permit back through {@link #closed} if still idle, else
     * says so with {@link #reclaimMissed}.
     */
    void reclaim();
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
  Ticket request(String tenant, Executor executor, Runnable onGrant) {
    Ticket ticket;
    List<Holder> toReclaim;
    synchronized (this) {
      if (tryAcquire(tenant)) {
        return GRANTED;
      }
      ticket = enqueue(tenant, executor, onGrant);
      toReclaim = chooseReclaims();
    }
    startReclaims(toReclaim);
    return ticket;
  }

  private Ticket enqueue(String tenant, Executor executor, Runnable onGrant) {
    Ticket ticket = new Ticket(tenant, ++sequence, executor, onGrant);
    waitingTickets++;
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
    if (removed) {
      waitingTickets--;
    }
    if (demand.tickets.isEmpty()) {
      demandByTenant.remove(ticket.tenant);
    } else if (head) {
      demands.add(demand);
    }
    return removed;
  }

  /**
   * Gives {@code permits} of {@code tenant} back and hands them to the tenants waiting for them;
   * a tenant left with no permit while it waits (its last pool closed) gets a reclaim then.
   */
  void release(String tenant, int permits) {
    if (permits <= 0) {
      return;
    }
    ArrayDeque<Ticket> granted = new ArrayDeque<>();
    List<Holder> toReclaim;
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
        waitingTickets--;
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
      toReclaim = chooseReclaims();
    }
    granted.forEach(ticket -> ticket.executor.execute(ticket.onGrant));
    startReclaims(toReclaim);
  }

  /** A pool took its first permit: from now on it may be reclaimed while idle. */
  synchronized void register(Holder holder) {
    holders.add(holder);
  }

  /** A pool closed: it is no candidate any more, and its {@code permits} come back. */
  void closed(Holder holder, int permits) {
    synchronized (this) {
      holders.remove(holder);
      endReclaim(holder);
    }
    release(holder.tenant(), permits);
  }

  /** A holder asked to give its permits back was busy again; another one is asked if tickets still wait. */
  void reclaimMissed(Holder holder) {
    synchronized (this) {
      endReclaim(holder);
    }
    becameIdle();
  }

  /**
   * True while a tenant holding nothing waits and no idle pool was there to reclaim for it: a
   * holder that goes idle then calls {@link #becameIdle}. A volatile read, for every statement's end.
   */
  boolean idlePoolWanted() {
    return idlePoolWanted;
  }

  /** A holder went idle while {@link #idlePoolWanted}: it may be the one to reclaim (so may any other idle one). */
  void becameIdle() {
    List<Holder> toReclaim;
    synchronized (this) {
      toReclaim = chooseReclaims();
    }
    startReclaims(toReclaim);
  }

  /**
   * True while some waiting tickets are covered by no reclaim: no pool was idle to give its
   * permits, so only a running statement's end (or a shed over-share tenant) frees one.
   */
  synchronized boolean uncovered() {
    return coveredPermits() < waitingTickets;
  }

  /** Permits waiting tickets can count on: the free ones and those that reclaims under way will return. */
  private int coveredPermits() {
    return reclaimingPermits + Math.max(0, capacity - used);
  }

  /** Outside the monitor: asks each chosen holder, on its own event loop, to give its permits back. */
  private static void startReclaims(List<Holder> chosen) {
    chosen.forEach(holder -> holder.executor().execute(holder::reclaim));
  }

  private void endReclaim(Holder holder) {
    Integer expected = reclaiming.remove(holder);
    if (expected != null) {
      reclaimingPermits -= expected;
    }
  }

  /**
   * With the monitor held: the coldest idle holders, enough that their permits cover the
   * waiting tickets of tenants using no permit (holding none, or only idle ones in other
   * members' pools) that no free permit or reclaim covers yet;
   * they are marked as reclaiming. Scans the waiting tenants and at most {@code capacity}
   * holders, only when a ticket has to wait.
   */
  private List<Holder> chooseReclaims() {
    if (demandByTenant.isEmpty()) {
      idlePoolWanted = false;
      return List.of();
    }
    Map<String, Integer> idle = idleByTenant();
    if (anyOverShare(idle)) {
      idlePoolWanted = false; // shedding that tenant frees permits; an idle tenant keeps its warm connection
      return List.of();
    }
    int starving = 0;
    for (Demand demand : demandByTenant.values()) {
      if (busyHeldBy(demand.tenant, idle) == 0) {
        starving++; // one permit for its first connection (the miss); its other statements wait for that one
      }
    }
    List<Holder> chosen = List.of();
    while (coveredPermits() < starving) {
      Holder coldest = null;
      for (Holder holder : holders) {
        if (holder.reclaimable() && !reclaiming.containsKey(holder)
            && (coldest == null || holder.lastUsedNanos() - coldest.lastUsedNanos() < 0)) {
          coldest = holder;
        }
      }
      if (coldest == null) {
        idlePoolWanted = true;
        return chosen;
      }
      int permits = Math.max(1, coldest.permits());
      reclaiming.put(coldest, permits);
      reclaimingPermits += permits;
      if (chosen.isEmpty()) {
        chosen = new ArrayList<>();
      }
      chosen.add(coldest);
    }
    idlePoolWanted = false;
    return chosen;
  }

  /** Permits of idle holders, per tenant. */
  private Map<String, Integer> idleByTenant() {
    Map<String, Integer> idle = new HashMap<>();
    for (Holder holder : holders) {
      if (holder.reclaimable()) {
        idle.merge(holder.tenant(), holder.permits(), Integer::sum);
      }
    }
    return idle;
  }

  /** Permits the tenant uses: those it holds less those sitting in its idle pools. */
  private int busyHeldBy(String tenant, Map<String, Integer> idle) {
    return Math.max(0, heldBy(tenant) - idle.getOrDefault(tenant, 0));
  }

  private boolean anyOverShare(Map<String, Integer> idle) {
    for (String tenant : held.keySet()) {
      if (othersWait(tenant) && busyHeldBy(tenant, idle) > share(tenant, idle)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The most permits {@code tenant} may hold while other tenants wait: the permits that the
   * tenants wanting no more do not hold and use, split evenly between the waiting tenants and
   * this one.
   */
  synchronized int share(String tenant) {
    return share(tenant, idleByTenant());
  }

  /** {@link #share} with the idle permits per tenant already counted ({@link #idleByTenant}). */
  private int share(String tenant, Map<String, Integer> idle) {
    int wanting = 1;
    int heldByWanting = heldBy(tenant);
    for (String waiting : demandByTenant.keySet()) {
      if (!waiting.equals(tenant)) {
        wanting++;
        heldByWanting += heldBy(waiting);
      }
    }
    int idleElsewhere = 0;
    for (Map.Entry<String, Integer> idlePermits : idle.entrySet()) {
      if (!idlePermits.getKey().equals(tenant) && !demandByTenant.containsKey(idlePermits.getKey())) {
        idleElsewhere += idlePermits.getValue();
      }
    }
    int free = capacity - Math.max(0, used - heldByWanting - idleElsewhere);
    return Math.max(1, free / wanting);
  }

  /**
   * True when other tenants wait for a permit and {@code tenant} uses more than its share (its
   * idle permits do not count: they are the budget's to reclaim).
   */
  synchronized boolean overShare(String tenant) {
    if (!othersWait(tenant)) {
      return false;
    }
    Map<String, Integer> idle = idleByTenant();
    return busyHeldBy(tenant, idle) > share(tenant, idle);
  }

  synchronized int heldBy(String tenant) {
    return held.getOrDefault(tenant, 0);
  }

  /** Tickets waiting for a permit, every tenant together. */
  synchronized int waiting() {
    return waitingTickets;
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
