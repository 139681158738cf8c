package dev.pgdo.cluster;

import dev.pgdo.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This node's side of handing members to other nodes, without losing a message: the member
 * first stops running queries (it answers "moved", which senders treat like an absent member)
 * and finishes the running ones; then the claim is given back, so the new host can register;
 * only after a grace period, once every node's view of the bus has caught up, is the old
 * consumer removed. A message routed on a stale view in between is redirected rather than lost.
 * Not thread-safe: {@link Placement}'s context.
 */
final class HandOvers {

  private static final Logger log = LoggerFactory.getLogger(HandOvers.class);

  /**
   * How long a handed-over member keeps answering "moved" before its consumer goes away: long
   * enough for every node's event-bus view to learn the new host's consumer (Hazelcast
   * propagates the registry in well under a second on a healthy network).
   */
  private static final long GRACE_MS = 1_500;
  /** Added to {@code shutdown.drainMs} for the hand-over request: the member replies only after draining. */
  private static final long REPLY_MARGIN_MS = 1_000;

  private final Vertx vertx;
  private final long drainMs;
  private final Runnable onFinished;
  /** Members draining or giving their claim back. */
  private final Set<String> draining = new HashSet<>();
  /** Members whose claim is given back but whose old consumer still answers "moved". */
  private final Set<String> inGrace = new HashSet<>();
  /** Every hand-over not finished yet: address → its completion. */
  private final Map<String, Future<Void>> unfinished = new HashMap<>();

  /** @param onFinished called after each hand-over has completely finished */
  HandOvers(Vertx vertx, long drainMs, Runnable onFinished) {
    this.vertx = vertx;
    this.drainMs = drainMs;
    this.onFinished = onFinished;
  }

  Set<String> draining() {
    return Set.copyOf(draining);
  }

  Set<String> inGrace() {
    return Set.copyOf(inGrace);
  }

  /** True when no hand-over is under way. */
  boolean none() {
    return draining.isEmpty() && inGrace.isEmpty() && unfinished.isEmpty();
  }

  Set<String> unfinished() {
    return Set.copyOf(unfinished.keySet());
  }

  /**
   * Starts handing {@code address} over; runs on its own (it takes up to {@code drainMs}).
   *
   * @param deploymentId the member's deployment here, or null when only the claim is held
   * @param giveBack     gives the claim back; called once the member has drained
   */
  void start(String address, String deploymentId, Supplier<Future<Boolean>> giveBack) {
    draining.add(address);
    if (deploymentId != null) {
      inGrace.add(address);
    }
    Future<Void> drained = deploymentId == null ? Future.succeededFuture()
        : vertx.eventBus().request(Addresses.handOver(address), null,
                new DeliveryOptions().setSendTimeout(drainMs + REPLY_MARGIN_MS))
            .<Void>mapEmpty()
            .otherwiseEmpty();
    Future<Void> done = drained
        .compose(v -> giveBack.get())
        .transform(removed -> {
          draining.remove(address);
          if (removed.failed()) {
            log.warn("could not give back the claim on {}: {}", address, removed.cause().getMessage());
          } else {
            log.info("handed over {}", address);
          }
          vertx.eventBus().publish(Addresses.PLACEMENT_CHANGED, address);
          if (deploymentId == null) {
            return Future.<Void>succeededFuture();
          }
          // Whatever happened to the claim, the old instance goes away after the grace period.
          return vertx.timer(GRACE_MS, TimeUnit.MILLISECONDS)
              .compose(t -> vertx.undeploy(deploymentId))
              .otherwiseEmpty()
              .andThen(r -> inGrace.remove(address));
        })
        .andThen(r -> {
          unfinished.remove(address);
          onFinished.run();
        });
    if (!done.isComplete()) {
      unfinished.put(address, done);
    }
  }
}
