package dev.pgdo.web;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
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
 * Routes a query to its tenant's pool member: colo → location region → serving region, then
 * rendezvous order over that region's members. A member with no consumer ({@code NO_HANDLERS})
 * means the next one in the tenant's order, at once; every send has a deadline.
 *
 * <p>Used from one web verticle's event loop; holds no mutable state.
 */
public final class QueryGateway {

  private final Vertx vertx;
  private final Topology topology;
  private final long sendTimeoutMs;

  /** @param sendTimeoutMs the bus deadline: a little over the statement timeout, which PostgreSQL enforces */
  public QueryGateway(Vertx vertx, Topology topology, long sendTimeoutMs) {
    this.vertx = vertx;
    this.topology = topology;
    this.sendTimeoutMs = sendTimeoutMs;
  }

  /** The region whose pool serves requests from {@code colo} (null: the default region). */
  public String servingRegion(String colo) {
    return topology.poolRegion(topology.locationRegion(colo));
  }

  public Future<JsonObject> route(QueryRequest request, String colo) {
    String region = servingRegion(colo);
    int[] order = Rendezvous.order(request.tenant(), topology.poolSize(region));
    return tryMember(request.toJson(), region, order, 0);
  }

  private Future<JsonObject> tryMember(JsonObject message, String region, int[] order, int attempt) {
    if (attempt >= order.length) {
      return Future.failedFuture(new PgdoException(ErrorCode.NO_COMPUTE,
          "no compute instance of region '" + region + "' is available"));
    }
    String address = Addresses.compute(region, order[attempt]);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
    return vertx.eventBus().<JsonObject>request(address, message, options)
        .map(Message::body)
        .recover(err -> isAbsent(err)
            ? tryMember(message, region, order, attempt + 1)
            : Future.failedFuture(err));
  }

  private static boolean isAbsent(Throwable err) {
    return err instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }
}
