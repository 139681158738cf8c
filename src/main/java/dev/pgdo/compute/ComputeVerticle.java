package dev.pgdo.compute;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusCodecs;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.bus.TenantId;
import dev.pgdo.config.AppConfig;
import dev.pgdo.tenant.PgTargets;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.List;
import java.util.function.Function;

/**
 * One shared compute instance, consuming {@code shared-compute.<region>.<index>}: the bus
 * adapter that dispatches the member's operations (query, status, cancel, hand-over) to the
 * classes that do them: {@link QueryService}, {@link KeepWarm}, {@link Prewarm},
 * {@link HandOver} and {@link RecentTenants}.
 *
 * <p>Start-up order matters: the keep-warm timer is armed only once everything its ticks use
 * exists and the consumers are registered, so that no tick meets a half-started member.
 */
public final class ComputeVerticle extends VerticleBase {

  /** The answer of a member that is being handed over, to senders that fail over: like an absent member. */
  private static final PgdoException MOVED = new PgdoException(ErrorCode.MEMBER_MOVED,
      "the compute instance is moving to another node");
  /** The same answer to other bus clients, whose failure codes are HTTP statuses (API.md). */
  private static final PgdoException MOVED_PUBLIC = new PgdoException(ErrorCode.NO_COMPUTE,
      "the compute instance is moving to another node");

  private final AppConfig config;
  private final String region;
  private final int index;
  private final String address;
  private final PgTargets targets;
  private final TenantStore tenants;
  private final MeterRegistry registry;
  private final ConnectionBudget budget;
  /** Opens the cluster-wide recent-tenants map (a seam for the start-up order test). */
  private final Function<Vertx, Future<AsyncMap<String, JsonArray>>> recentTenantsMap;

  private TenantPools pools;
  private MemberStats stats;
  private QueryService queries;
  private KeepWarm keepWarm;
  private Prewarm prewarm;
  private HandOver handOver;
  private RecentTenants recent;
  private MessageConsumer<Object> consumer;

  public ComputeVerticle(AppConfig config, String region, int index, PgTargets targets, TenantStore tenants,
                         MeterRegistry registry, ConnectionBudget budget) {
    this(config, region, index, targets, tenants, registry, budget,
        vertx -> vertx.sharedData().getAsyncMap(Addresses.RECENT_TENANTS_MAP));
  }

  ComputeVerticle(AppConfig config, String region, int index, PgTargets targets, TenantStore tenants,
                  MeterRegistry registry, ConnectionBudget budget,
                  Function<Vertx, Future<AsyncMap<String, JsonArray>>> recentTenantsMap) {
    this.config = config;
    this.region = region;
    this.index = index;
    this.address = Addresses.compute(region, index);
    this.targets = targets;
    this.tenants = tenants;
    this.registry = registry;
    this.budget = budget;
    this.recentTenantsMap = recentTenantsMap;
  }

  @Override
  public Future<?> start() {
    BusCodecs.register(vertx);
    pools = new TenantPools(vertx, targets, config.compute(), budget, config.limits().tenantConcurrency());
    stats = new MemberStats(registry, region, index);
    QueryExecutor executor = new QueryExecutor(vertx, new StatementRunner(config.limits()),
        config.limits().statementTimeoutMs());
    JsonObject member = new JsonObject().put("address", address).put("region", region).put("node", config.nodeId())
        .put("colo", null);
    queries = new QueryService(vertx, pools, executor, stats, member);
    return recentTenantsMap.apply(vertx)
        .compose(map -> {
          recent = new RecentTenants(map, address, pools, config.compute().prewarmTenants());
          keepWarm = new KeepWarm(address, pools, stats, recent, config.compute().warmConnectionsPerTenant());
          prewarm = new Prewarm(address, index, config.topology().poolSize(region), config.compute().prewarmTenants(),
              tenants, pools, recent, keepWarm);
          handOver = new HandOver(queries, recent, config.drainMs());
          return registerConsumers();
        })
        .onSuccess(v -> {
          prewarm.run();
          vertx.setPeriodic(config.keepWarmIntervalMs(), id -> prewarm.tick());
        });
  }

  private Future<Void> registerConsumers() {
    Future<Void> control = vertx.eventBus().<String>consumer(Addresses.TENANT_CHANGED,
        msg -> pools.evict(msg.body())).completion();
    Future<Void> pressure = vertx.eventBus().<String>localConsumer(Addresses.BUDGET_PRESSURE,
        msg -> pools.relievePressure(msg.body())).completion();
    Future<Void> handOvers = vertx.eventBus().localConsumer(Addresses.handOver(address),
        msg -> handOver.start().onComplete(done -> msg.reply(null))).completion();
    consumer = vertx.eventBus().consumer(address, this::onMessage);
    return Future.all(List.of(control, pressure, handOvers, consumer.completion())).mapEmpty();
  }

  /**
   * Stops taking queries, lets the running ones finish (bounded by {@code shutdown.drainMs}),
   * leaves its recent tenants for the next host of this address, then closes its connections.
   */
  @Override
  public Future<?> stop() {
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered
        .compose(v -> handOver == null ? Future.<Void>succeededFuture() : handOver.drain())
        .eventually(() -> {
          pools.closeAll();
          stats.close();
          return Future.succeededFuture();
        });
  }

  private void onMessage(Message<Object> message) {
    String op = message.headers().get(BusHeaders.OP);
    if (BusHeaders.OP_STATUS.equals(op)) {
      message.reply(status());
      return;
    }
    if (BusHeaders.OP_CANCEL.equals(op)) {
      queries.cancel(message.headers().get(BusHeaders.CANCEL_ID));
      return;
    }
    if (BusHeaders.OP_WARM.equals(op)) {
      if (message.body() instanceof String tenant && TenantId.isValid(tenant) && !handOver.started()) {
        keepWarm.warm(pools.get(tenant)).onComplete(done -> message.reply(null));
      } else {
        message.reply(null);
      }
      return;
    }
    String receiptTo = message.headers().get(BusHeaders.ACK_TO);
    if (receiptTo != null) {
      vertx.eventBus().send(receiptTo, message.headers().get(BusHeaders.ACK_ID));
    }
    if (handOver.started()) {
      (message.headers().contains(BusHeaders.ACCEPTS_MOVED) ? MOVED : MOVED_PUBLIC).failMessage(message);
      return;
    }
    QueryRequest request;
    // PgdoClient sends the validated request itself; any other bus client sends API.md's JSON
    boolean fromClient = message.body() instanceof QueryRequest;
    try {
      if (fromClient) {
        request = (QueryRequest) message.body();
      } else if (message.body() instanceof JsonObject body) {
        request = QueryRequest.fromJson(body);
      } else {
        throw new PgdoException(ErrorCode.INVALID_REQUEST, "the message body must be a JSON object");
      }
    } catch (PgdoException e) {
      e.failMessage(message);
      return;
    }
    queries.run(request, message.headers().get(BusHeaders.CANCEL_ID))
        .onSuccess(answer -> {
          if (fromClient) {
            message.reply(answer, BusCodecs.answerOptions());
          } else {
            message.reply(answer);
          }
        })
        .onFailure(err -> PgErrors.translate(err).failMessage(message));
  }

  private JsonObject status() {
    keepWarm.recordPools();
    return stats.toJson()
        .put("address", address)
        .put("index", index)
        .put("region", region)
        .put("node", config.nodeId())
        .put("state", prewarm.warm() ? "warm" : "cold")
        .put("tenantEvictions", pools.evictions());
  }
}
