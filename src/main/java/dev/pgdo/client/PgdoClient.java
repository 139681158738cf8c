package dev.pgdo.client;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.config.ConfigLoader;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs tenant queries over the event bus, from any verticle on any node, with the same routing
 * as the HTTP front door: colo → location region → serving region ({@code servedBy}), then the
 * tenant's rendezvous order over that region's members.
 *
 * <p>Fail-over: a member with no consumer ({@code NO_HANDLERS}) means the next member at once
 * (the query surely did not run). Given the node's {@link ClusterView}, a request in flight to a
 * node that leaves the cluster is failed as soon as the membership change arrives (Vert.x would
 * otherwise wait out the send timeout), and retried on the next member only when running it
 * twice is harmless ({@link QueryRequest#safeToRetry()}); otherwise it fails with
 * {@code no_compute}. Every send has a deadline.
 *
 * <p>Succeeds with API.md's success body (without {@code timings.totalMs}); fails with a
 * {@link ReplyException} whose {@code failureCode()} is the HTTP status and whose message is the
 * error JSON, or with a {@link PgdoException}. The bus is trusted: no token is checked here.
 * Thread-safe; use it from any context.
 */
public final class PgdoClient {

  private final Vertx vertx;
  private final Topology topology;
  private final long sendTimeoutMs;
  private final ClusterView view;
  /** How long a receipt may take before a request counts as not delivered. */
  private static final long ACK_TIMEOUT_MS = 500;
  /** How long after a node's death every request asks for a receipt. */
  private static final long RECEIPTS_AFTER_NODE_LOSS_MS = 10_000;
  /** How long a query waits, in total, for a region whose members are all being handed over. */
  private static final long ABSENT_WAIT_MS = 3_000;
  private static final long ABSENT_RETRY_MS = 50;

  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, InFlight> inFlight = new ConcurrentHashMap<>();
  private final String ackAddress = "pgdo.ack." + UUID.randomUUID();
  private final java.util.function.Consumer<String> nodeLeft = this::failRequestsTo;
  private final io.vertx.core.eventbus.MessageConsumer<String> acks;

  /** A request waiting for its member's answer, which fails it when the member's node leaves. */
  /** {@code host}: the node that held the member when the request was sent (null if unknown). */
  private record InFlight(String address, String host, Context context, Promise<JsonObject> result,
                          AtomicBoolean acked) {
  }

  /** No receipt in time: the message was probably lost on the way, but it may have run. */
  private static final class NotDelivered extends RuntimeException {
    NotDelivered(String address) {
      super("no acknowledgement from " + address, null, false, false);
    }
  }

  /** The member's consumer discarded the message without running it (it was being unregistered). */
  private static final class Discarded extends RuntimeException {
    Discarded(String address) {
      super("discarded by " + address, null, false, false);
    }
  }

  /** The member's node left the cluster while the request was in flight. */
  private static final class MemberLost extends RuntimeException {
    MemberLost(String address) {
      super("the node hosting " + address + " left the cluster", null, false, false);
    }
  }

  /**
   * @param sendTimeoutMs the deadline of each bus request; keep it above the statement timeout,
   *                      which PostgreSQL enforces itself
   * @param view          the node's cluster view, for failing over requests to nodes that leave;
   *                      null to rely on deadlines only
   */
  public PgdoClient(Vertx vertx, Topology topology, long sendTimeoutMs, ClusterView view) {
    this.vertx = vertx;
    this.topology = topology;
    this.sendTimeoutMs = sendTimeoutMs;
    this.view = view;
    if (view != null) {
      view.onNodeLeft(nodeLeft);
      acks = vertx.eventBus().<String>consumer(ackAddress, ack -> {
        InFlight request = inFlight.get(Long.parseLong(ack.body()));
        if (request != null) {
          request.acked().set(true);
        }
      });
    } else {
      acks = null;
    }
  }

  /** Completes once the client can receive receipts from members on other nodes. */
  public Future<Void> ready() {
    return acks == null ? Future.succeededFuture() : acks.completion();
  }

  /** Stops listening for receipts and node departures; in-flight requests still complete. */
  public void close() {
    if (view != null) {
      view.removeNodeLeftListener(nodeLeft);
      acks.unregister();
    }
  }

  /** A client with the topology shipped in the jar, a 35 s deadline, and no cluster view. */
  public static PgdoClient create(Vertx vertx) {
    return new PgdoClient(vertx, ConfigLoader.load(new String[0], Map.of()).topology(), 35_000, null);
  }

  /**
   * @param request API.md's request body plus {@code "tenant"}, e.g.
   *                {@code {"tenant": "acme", "sql": "select $1", "params": [1]}}
   * @param colo    the edge colo, or null for the default region
   */
  public Future<JsonObject> query(JsonObject request, String colo) {
    try {
      return query(QueryRequest.fromJson(request), colo, null);
    } catch (PgdoException invalid) {
      return Future.failedFuture(invalid);
    }
  }

  /** @param cancelId an id unique to this request, so that {@link #cancel} can stop it; or null */
  public Future<JsonObject> query(QueryRequest request, String colo, String cancelId) {
    String region = servingRegion(colo);
    int[] order = Rendezvous.order(request.tenant(), topology.poolSize(region));
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
    if (cancelId != null) {
      options.addHeader(BusHeaders.CANCEL_ID, cancelId);
    }
    return tryMember(request, request.toJson(), options, region, order, 0);
  }

  /**
   * Cancels in PostgreSQL the statement of a request started with {@code cancelId}. The member
   * that runs it is not known here (fail-over may have moved it), so every member of the
   * serving region is told; the others ignore the id. Fire and forget.
   */
  public void cancel(String colo, String cancelId) {
    String region = servingRegion(colo);
    DeliveryOptions options = new DeliveryOptions()
        .addHeader(BusHeaders.OP, BusHeaders.OP_CANCEL)
        .addHeader(BusHeaders.CANCEL_ID, cancelId);
    for (int i = 0; i < topology.poolSize(region); i++) {
      vertx.eventBus().send(Addresses.compute(region, i), new JsonObject(), options);
    }
  }

  /** The region whose pool serves requests from {@code colo} (null: the default region). */
  public String servingRegion(String colo) {
    return topology.poolRegion(topology.locationRegion(colo));
  }

  private Future<JsonObject> tryMember(QueryRequest request, JsonObject message, DeliveryOptions options,
                                       String region, int[] order, int attempt) {
    return tryMember(request, message, options, region, order, attempt,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(ABSENT_WAIT_MS, sendTimeoutMs)));
  }

  /**
   * Tries the members in the tenant's order. When none of them has a consumer (a hand-over
   * between nodes, or a node that just died and is being replaced), the query surely did not
   * run: it waits a little and goes through the order again, until {@code absentDeadline}.
   */
  private Future<JsonObject> tryMember(QueryRequest request, JsonObject message, DeliveryOptions options,
                                       String region, int[] order, int attempt, long absentDeadline) {
    if (attempt >= order.length) {
      if (System.nanoTime() < absentDeadline) {
        return vertx.timer(ABSENT_RETRY_MS, TimeUnit.MILLISECONDS)
            .compose(v -> tryMember(request, message, options, region, order, 0, absentDeadline));
      }
      return Future.failedFuture(new PgdoException(ErrorCode.NO_COMPUTE,
          "no compute instance of region '" + region + "' is available"));
    }
    String address = Addresses.compute(region, order[attempt]);
    if (hostIsGone(address)) {
      // Its node left the cluster and a survivor has not taken it over yet: a send would wait
      // for its deadline, since the bus still lists the dead node's consumer for a moment.
      return tryMember(request, message, options, region, order, attempt + 1, absentDeadline);
    }
    return send(address, message, options, request.safeToRetry()).recover(err -> {
      if (isAbsent(err)) {
        // no consumer, a moving member, or a discarded message: it surely did not run
        return tryMember(request, message, options, region, order, attempt + 1, absentDeadline);
      }
      if ((err instanceof MemberLost || err instanceof NotDelivered) && request.safeToRetry()) {
        // it may have run (or may still be running): repeat it only in a form that cannot write twice
        QueryRequest repeat = request.forRetry();
        return tryMember(repeat, repeat.toJson(), options, region, order, attempt + 1, absentDeadline);
      }
      if (err instanceof MemberLost || err instanceof NotDelivered) {
        return Future.failedFuture(new PgdoException(ErrorCode.NO_COMPUTE, "the compute instance was lost while "
            + "running the query; it may or may not have been applied (send an Idempotency-Key to retry safely)"));
      }
      return Future.failedFuture(err);
    });
  }

  private boolean hostIsGone(String address) {
    if (view == null) {
      return false;
    }
    String owner = view.owners().get(address);
    return owner != null && !view.live().containsKey(owner);
  }

  /**
   * Sends one attempt. In a cluster, the attempt is tracked so that the loss of the member's node
   * fails it at once; and a safe-to-retry request asks for an acknowledgement of
   * receipt: Vert.x drops a message that reaches a node just after the consumer moved away (a
   * hand-over), and without the acknowledgement the sender would wait for its whole deadline.
   */
  private Future<JsonObject> send(String address, JsonObject message, DeliveryOptions options, boolean safe) {
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

  private Future<JsonObject> track(String address, JsonObject message, DeliveryOptions options, boolean safe) {
    if (view == null) {
      return vertx.eventBus().<JsonObject>request(address, message, options).map(Message::body);
    }
    Context context = vertx.getOrCreateContext();
    Promise<JsonObject> result = Promise.promise();
    long id = ids.incrementAndGet();
    InFlight tracked = new InFlight(address, view.owners().get(address), context, result, new AtomicBoolean());
    inFlight.put(id, tracked);
    DeliveryOptions attempt = options;
    long ackTimer = -1;
    // A safe attempt always asks for a receipt: the bus, not the placement map, picks the node,
    // and during a hand-over the two can briefly disagree. Any attempt does, for a while after a
    // node died, when the bus may still route to the dead node's consumers: without a receipt
    // such a request would wait for its whole deadline.
    if (safe || view.millisSinceNodeLoss() < RECEIPTS_AFTER_NODE_LOSS_MS) {
      attempt = new DeliveryOptions(options).addHeader(BusHeaders.ACK_TO, ackAddress)
          .addHeader(BusHeaders.ACK_ID, Long.toString(id));
      ackTimer = vertx.setTimer(ACK_TIMEOUT_MS, t -> {
        if (!tracked.acked().get() && inFlight.remove(id) != null) {
          result.tryFail(new NotDelivered(address));
        }
      });
    }
    long timer = ackTimer;
    Future<JsonObject> reply = vertx.eventBus().<JsonObject>request(address, message, attempt).map(Message::body);
    reply.onComplete(done -> {
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
   * departed node): requests sent to its members fail over now. The host recorded at send time
   * counts, since placement may already have given the member to a survivor.
   */
  private void failRequestsTo(String nodeId) {
    inFlight.forEach((id, request) -> {
      if (nodeId.equals(request.host())) {
        inFlight.remove(id);
        request.context().runOnContext(v -> request.result().tryFail(new MemberLost(request.address())));
      }
    });
  }

  /** No consumer at the address, a discarded message, or a member moving to another node: it did not run. */
  private static boolean isAbsent(Throwable err) {
    if (err instanceof Discarded) {
      return true;
    }
    if (!(err instanceof ReplyException reply)) {
      return false;
    }
    if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
      return true;
    }
    JsonObject body = reply.failureType() == ReplyFailure.RECIPIENT_FAILURE ? PgdoException.errorBody(reply) : null;
    return body != null && body.getJsonObject("error").getBoolean("moved", false);
  }
}
