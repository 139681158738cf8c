package dev.pgdo.web;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Node-wide facts shared by the web verticle instances: when the node started, whether it is
 * draining for shutdown, and how many queries are in flight. Thread-safe.
 */
public final class NodeState {

  private final Instant startedAt = Instant.now();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();

  public Instant startedAt() {
    return startedAt;
  }

  public boolean draining() {
    return draining.get();
  }

  /** From now on readiness answers 503 (queries are still served until the node closes). */
  public void startDraining() {
    draining.set(true);
  }

  public int inFlight() {
    return inFlight.get();
  }

  void queryStarted() {
    inFlight.incrementAndGet();
  }

  void queryEnded() {
    inFlight.decrementAndGet();
  }
}
