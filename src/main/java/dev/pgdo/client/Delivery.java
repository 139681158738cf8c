package dev.pgdo.client;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.cluster.ClusterView;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Sends one attempt of a query to one member and turns the ways it can go missing into typed
 * failures that {@link RetryRule} reads: {@link Discarded} (it did not run), {@link MemberLost}
 * and {@link NotDelivered} (it may have run).
 *
 * <p>Given the node's {@link ClusterView}, every attempt is tracked with the node that hosted the
 * member when it was sent, so that the loss of that node fails it as soon as the membership
 * change arrives (Vert.x would otherwise wait out the send deadline). While the view says the
 * cluster is moving members, an attempt asks the member for a receipt: Vert.x drops a message
 * that reaches a node just after the consumer went away, and without a receipt the sender would
 * wait for its whole deadline. Thread-safe.
 */
final class Delivery {

  /**
   * How long a receipt may take before an attempt counts as not delivered: a member sends it
   * before anything else, so only a lost message or a stalled node takes this long.
   */
  private static final long RECEIPT_TIMEOUT_MS = 500;
  /**
   * How long after a change that moves members (see {@link ClusterView#millisSinceChange()})
   * a safe-to-retry attempt asks for a receipt; and how long after a node's death any attempt
   * does. It covers a hand-over's grace period (1.5 s) and Hazelcast's propagation of the
   * consumer registry to every node, with a wide margin.
   */
  static final long RECEIPT_WINDOW_MS = 10_000;

  /** No receipt in time: the message was probably lost on the way, but it may have run. */
  static final class NotDelivered extends RuntimeException {
    NotDelivered(String address) {
      super("no acknowledgement from " + address, null, false, false);
    }
  }

  /** The member's consumer discarded the message without running it (it was being unregistered). */
  static final class Discarded extends RuntimeException {
    Discarded(String address) {
      super("discarded by " + address, null, false, false);
    }
  }

  /** The member's node left the cluster while the attempt was in flight. */
  static final class MemberLost extends RuntimeException {
    MemberLost(String address) {
      super("the node hosting " + address + " left the cluster", null, false, false);
    }
  }

  /** An attempt waiting for its member's answer. {@code host}: the member's node when sent, or null. */
  private record InFlight(String address, String host, Context context, Promise<JsonObject> result,
                          AtomicBoolean receipted) {
  }

  private final Vertx vertx;
  private final ClusterView view;
  private final long sendTimeoutMs;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, InFlight> inFlight = new ConcurrentHashMap<>();
  private final String receiptAddress = Addresses.receipts();
  private final Consumer<String> nodeLeft = this::failAttemptsTo;
  private final MessageConsumer<String> receipts;

  /** @param view null to rely on deadlines only (no tracking, no receipts) */
  Delivery(Vertx vertx, ClusterView view, long sendTimeoutMs) {
    this.vertx = vertx;
    this.view = view;
    this.sendTimeoutMs = sendTimeoutMs;
    if (view != null) {
      view.onNodeLeft(nodeLeft);
      receipts = vertx.eventBus().consumer(receiptAddress, receipt -> {
        InFlight attempt = inFlight.get(Long.parseLong(receipt.body()));
        if (attempt != null) {
          attempt.receipted().set(true);
        }
      });
    } else {
      receipts = null;
    }
  }

  Future<Void> ready() {
    return receipts == null ? Future.succeededFuture() : receipts.completion();
  }

  void close() {
    if (view != null) {
      view.removeNodeLeftListener(nodeLeft);
      receipts.unregister();
    }
  }

  /**
   * The member's node left the cluster and a survivor has not taken it over yet: a send would
   * wait for its deadline, since the bus still lists the dead node's consumer for a moment.
   */
  boolean hostIsGone(String address) {
    if (view == null) {
      return false;
    }
    String owner = view.owners().get(address);
    return owner != null && !view.live().containsKey(owner);
  }

  /** Sends one attempt; {@code safe}: the request may be retried when its outcome is unknown. */
  Future<JsonObject> send(String address, Object message, DeliveryOptions options, boolean safe) {
    long sentAt = System.nanoTime();
    return track(address, message, options, safe).recover(err -> Future.failedFuture(
        isEarlyTimeout(err, sentAt) ? new Discarded(address) : err));
  }

  /**
   * Vert.x fails a request with a {@code TIMEOUT}-typed failure ("Discarded the request") at once
   * when the message reached a consumer that was just unregistered: the handler never ran. A
   * real timeout only comes at the send deadline, so an early one is a discarded message.
   */
  private boolean isEarlyTimeout(Throwable err, long sentAt) {
    return err instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT
        && System.nanoTime() - sentAt < TimeUnit.MILLISECONDS.toNanos(sendTimeoutMs / 2);
  }

  /**
   * A safe attempt asks for a receipt while members may be moving, or when the placement map
   * names no host for the member (a hand-over under way): the bus, not the map, picks the node,
   * and the two can briefly disagree. Any attempt asks for one for a while after a node died,
   * when the bus may still route to the dead node's consumers. An unsafe attempt whose receipt is
   * late fails with an unknown outcome, so it asks only in that narrower window.
   */
  private boolean wantsReceipt(String host, boolean safe) {
    if (view.millisSinceNodeLoss() < RECEIPT_WINDOW_MS) {
      return true;
    }
    return safe && (host == null || view.millisSinceChange() < RECEIPT_WINDOW_MS);
  }

  private Future<JsonObject> track(String address, Object message, DeliveryOptions options, boolean safe) {
    if (view == null) {
      return vertx.eventBus().<JsonObject>request(address, message, options).map(Message::body);
    }
    Context context = vertx.getOrCreateContext();
    Promise<JsonObject> result = Promise.promise();
    long id = ids.incrementAndGet();
    String host = view.owners().get(address);
    InFlight attempt = new InFlight(address, host, context, result, new AtomicBoolean());
    inFlight.put(id, attempt);
    DeliveryOptions sent = options;
    long receiptTimer = -1;
    if (wantsReceipt(host, safe)) {
      sent = new DeliveryOptions(options).addHeader(BusHeaders.ACK_TO, receiptAddress)
          .addHeader(BusHeaders.ACK_ID, Long.toString(id));
      receiptTimer = vertx.setTimer(RECEIPT_TIMEOUT_MS, t -> {
        if (!attempt.receipted().get() && inFlight.remove(id) != null) {
          result.tryFail(new NotDelivered(address));
        }
      });
    }
    long timer = receiptTimer;
    vertx.eventBus().<JsonObject>request(address, message, sent).map(Message::body).onComplete(done -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      inFlight.remove(id);
      if (done.succeeded()) {
        result.tryComplete(done.result());
      } else {
        result.tryFail(done.cause());
      }
    });
    return result.future();
  }

  /**
   * Called when a node leaves (on Hazelcast's thread, or by placement when it finds a claim of a
   * departed node): attempts sent to its members fail over now. The host recorded at send time
   * counts, since placement may already have given the member to a survivor.
   */
  private void failAttemptsTo(String nodeId) {
    inFlight.forEach((id, attempt) -> {
      if (nodeId.equals(attempt.host())) {
        inFlight.remove(id);
        attempt.context().runOnContext(v -> attempt.result().tryFail(new MemberLost(attempt.address())));
      }
    });
  }
}
