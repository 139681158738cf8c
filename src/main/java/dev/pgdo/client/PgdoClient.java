package dev.pgdo.client;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.ConfigLoader;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.routing.Topology;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Runs tenant queries over the event bus, from any verticle on any node, with the same routing
 * as the HTTP front door: colo → location region → serving region ({@code servedBy}), then the
 * tenant's rendezvous order over that region's members. A member with no consumer
 * ({@code NO_HANDLERS}) means the next member at once; every send has a deadline.
 *
 * <p>Succeeds with API.md's success body (without {@code timings.totalMs}); fails with a
 * {@link ReplyException} whose {@code failureCode()} is the HTTP status and whose message is the
 * error JSON, or with a {@link PgdoException} for bad input or when no member answered.
 * The bus is trusted: no token is checked here. Holds no mutable state; safe on any context.
 */
public final class PgdoClient {

  private final Vertx vertx;
  private final Topology topology;
  private final long sendTimeoutMs;

  /**
   * @param sendTimeoutMs the deadline of each bus request; keep it above the statement timeout,
   *                      which PostgreSQL enforces itself
   */
  public PgdoClient(Vertx vertx, Topology topology, long sendTimeoutMs) {
    this.vertx = vertx;
    this.topology = topology;
    this.sendTimeoutMs = sendTimeoutMs;
  }

  /** A client with the topology shipped in the jar and a 35 s deadline (the default statement timeout plus 5 s). */
  public static PgdoClient create(Vertx vertx) {
    return new PgdoClient(vertx, ConfigLoader.load(new String[0], java.util.Map.of()).topology(), 35_000);
  }

  /**
   * @param request API.md's request body plus {@code "tenant"}, e.g.
   *                {@code {"tenant": "acme", "sql": "select $1", "params": [1]}}
   * @param colo    the edge colo, or null for the default region
   */
  public Future<JsonObject> query(JsonObject request, String colo) {
    try {
      return query(QueryRequest.fromJson(request), colo);
    } catch (PgdoException invalid) {
      return Future.failedFuture(invalid);
    }
  }

  public Future<JsonObject> query(QueryRequest request, String colo) {
    return query(request, colo, null);
  }

  /**
   * @param cancelId an id unique to this request, so that {@link #cancel} can stop it; or null
   */
  public Future<JsonObject> query(QueryRequest request, String colo, String cancelId) {
    String region = servingRegion(colo);
    int[] order = Rendezvous.order(request.tenant(), topology.poolSize(region));
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
    if (cancelId != null) {
      options.addHeader(BusHeaders.CANCEL_ID, cancelId);
    }
    return tryMember(request.toJson(), options, region, order, 0);
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

  private Future<JsonObject> tryMember(JsonObject message, DeliveryOptions options, String region, int[] order,
                                       int attempt) {
    if (attempt >= order.length) {
      return Future.failedFuture(new PgdoException(ErrorCode.NO_COMPUTE,
          "no compute instance of region '" + region + "' is available"));
    }
    String address = Addresses.compute(region, order[attempt]);
    return vertx.eventBus().<JsonObject>request(address, message, options)
        .map(Message::body)
        .recover(err -> isAbsent(err)
            ? tryMember(message, options, region, order, attempt + 1)
            : Future.failedFuture(err));
  }

  private static boolean isAbsent(Throwable err) {
    return err instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }
}
