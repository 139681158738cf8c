package dev.pgdo.client;

import dev.pgdo.bus.BusCodecs;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.cluster.ClusterView;
import dev.pgdo.config.ConfigLoader;
import dev.pgdo.routing.Topology;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs tenant queries over the event bus, from any verticle on any node, with the same routing
 * as the HTTP front door ({@link MemberRouter}). Each attempt goes out through {@link Delivery};
 * after a failed one, {@link RetryRule} decides whether the next member in the tenant's order
 * gets the query, and in which form. Every send has a deadline.
 *
 * <p>Succeeds with API.md's success body (without {@code timings.totalMs}); fails with a
 * {@link ReplyException} whose {@code failureCode()} is the HTTP status and whose message is the
 * error JSON, or with a {@link PgdoException}. The bus is trusted: no token is checked here.
 * Thread-safe; use it from any context.
 */
public final class PgdoClient {

  /**
   * How long a query waits, in total, for a region whose members are all absent: a hand-over
   * between nodes, or a dead node's members being redeployed, takes about a placement round
   * (1 s) plus a deploy.
   */
  private static final long ABSENT_WAIT_MS = 3_000;
  /** The pause between two passes over an absent region: a few bus round trips, so the wait stays cheap. */
  private static final long ABSENT_RETRY_MS = 50;
  /** How long {@link #warm} waits for the member: about a connection set-up, with a wide margin. */
  private static final long WARM_WAIT_MS = 2_000;
  /** The deadline of {@link #create}'s client: above the default statement timeout (30 s). */
  private static final long DEFAULT_SEND_TIMEOUT_MS = 35_000;

  private final Vertx vertx;
  private final MemberRouter router;
  private final Delivery delivery;
  private final long sendTimeoutMs;

  /**
   * @param sendTimeoutMs the deadline of each bus request; keep it above the statement timeout,
   *                      which PostgreSQL enforces itself
   * @param view          the node's cluster view, for failing over requests to nodes that leave;
   *                      null to rely on deadlines only
   */
  public PgdoClient(Vertx vertx, Topology topology, long sendTimeoutMs, ClusterView view) {
    this.vertx = vertx;
    BusCodecs.register(vertx);
    this.router = new MemberRouter(topology);
    this.delivery = new Delivery(vertx, view, sendTimeoutMs);
    this.sendTimeoutMs = sendTimeoutMs;
  }

  /** A client with the topology shipped in the jar, a 35 s deadline, and no cluster view. */
  public static PgdoClient create(Vertx vertx) {
    return new PgdoClient(vertx, ConfigLoader.load(new String[0], Map.of()).topology(), DEFAULT_SEND_TIMEOUT_MS, null);
  }

  /** Completes once the client can receive receipts from members on other nodes. */
  public Future<Void> ready() {
    return delivery.ready();
  }

  /** Stops listening for receipts and node departures; in-flight requests still complete. */
  public void close() {
    delivery.close();
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
    MemberRouter.Route route = router.route(request.tenant(), colo);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs)
        .addHeader(BusHeaders.ACCEPTS_MOVED, "1");
    if (cancelId != null) {
      options.addHeader(BusHeaders.CANCEL_ID, cancelId);
    }
    long absentDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(ABSENT_WAIT_MS, sendTimeoutMs));
    return attempt(request, options, route, 0, absentDeadline);
  }

  /**
   * Cancels in PostgreSQL the statement of a request started with {@code cancelId}. The member
   * that runs it is not known here (fail-over may have moved it), so every member of the
   * serving region is told; the others ignore the id. Fire and forget.
   */
  public void cancel(String colo, String cancelId) {
    DeliveryOptions options = new DeliveryOptions()
        .addHeader(BusHeaders.OP, BusHeaders.OP_CANCEL)
        .addHeader(BusHeaders.CANCEL_ID, cancelId);
    for (String member : router.allMembers(colo)) {
      vertx.eventBus().send(member, new JsonObject(), options);
    }
  }

  /**
   * Asks the tenant's home member in the region serving {@code colo} (null: the default region)
   * to open the tenant's connection if a budget permit is free, so that its first query from
   * there pays no connection set-up (a new tenant). Completes when the member answered, or after
   * {@link #WARM_WAIT_MS}; never fails: a member that is absent, busy or without a free permit
   * leaves the work to the first query.
   */
  public Future<Void> warm(String tenant, String colo) {
    String home = router.route(tenant, colo).members().get(0);
    DeliveryOptions options = new DeliveryOptions().addHeader(BusHeaders.OP, BusHeaders.OP_WARM)
        .setSendTimeout(WARM_WAIT_MS);
    return vertx.eventBus().request(home, tenant, options).map(Message::body).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The region whose pool serves requests from {@code colo} (null: the default region). */
  public String servingRegion(String colo) {
    return router.servingRegion(colo);
  }

  /**
   * Tries the members in the tenant's order. When none of them has a consumer (a hand-over
   * between nodes, or a node that just died and is being replaced), the query surely did not
   * run: it waits a little and goes through the order again, until {@code absentDeadline}.
   */
  private Future<JsonObject> attempt(QueryRequest request, DeliveryOptions options, MemberRouter.Route route,
                                     int next, long absentDeadline) {
    List<String> members = route.members();
    if (next >= members.size()) {
      if (System.nanoTime() < absentDeadline) {
        return vertx.timer(ABSENT_RETRY_MS, TimeUnit.MILLISECONDS)
            .compose(v -> attempt(request, options, route, 0, absentDeadline));
      }
      return Future.failedFuture(new PgdoException(ErrorCode.NO_COMPUTE,
          "no compute instance of region '" + route.region() + "' is available"));
    }
    String address = members.get(next);
    if (delivery.hostIsGone(address)) {
      return attempt(request, options, route, next + 1, absentDeadline);
    }
    return delivery.send(address, request, options, request.safeToRetry()).recover(err -> {
      RetryRule.Decision decision = RetryRule.decide(request, err);
      if (!decision.retries()) {
        return Future.failedFuture(decision.failure());
      }
      return attempt(decision.retry(), options, route, next + 1, absentDeadline);
    });
  }
}
