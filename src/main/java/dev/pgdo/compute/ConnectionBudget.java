package dev.pgdo.compute;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node-wide cap on tenant connections ({@code compute.maxConnections}), shared by every
 * compute member of the node. A tenant pool holds a permit for each connection it may open, so
 * the node never holds more tenant connections than the budget. Thread-safe, lock-free.
 */
public final class ConnectionBudget {

  private final int capacity;
  private final AtomicInteger used = new AtomicInteger();

  public ConnectionBudget(int capacity) {
    this.capacity = capacity;
  }

  boolean tryAcquire() {
    while (true) {
      int current = used.get();
      if (current >= capacity) {
        return false;
      }
      if (used.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void release(int permits) {
    used.addAndGet(-permits);
  }

  public int capacity() {
    return capacity;
  }

  public int used() {
    return used.get();
  }
}
