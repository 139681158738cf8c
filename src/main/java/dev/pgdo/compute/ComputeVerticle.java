package dev.pgdo.compute;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.PgTargets;
import dev.pgdo.db.SqlQueries;
import dev.pgdo.routing.Rendezvous;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * One shared compute instance, consuming {@code shared-compute.<region>.<index>}: it runs tenant
 * queries on warm per-tenant connections, and a periodic keep-warm timer pings idle connections
 * and tops each tenant up to its warm minimum, so that user queries do not pay for connection
 * set-up or meet a dead connection. On start it pre-warms the tenants that rendezvous hashing
 * assigns to it.
 */
public final class ComputeVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ComputeVerticle.class);

  /** The answer of a member that is being handed over; senders treat it like an absent member. */
  private static final PgdoException MOVED = new PgdoException(ErrorCode.NO_COMPUTE,
      "the compute instance is moving to another node", new JsonObject().put("moved", true));

  /** Cluster-wide map: member address → the tenants its host kept warm (bounded by prewarmTenants). */
  private static final String RECENT_TENANTS = "pgdo.recent-tenants";

  private final AppConfig config;
  private final String region;
  private final int index;
  private final String address;
  private final PgTargets targets;
  private final TenantStore tenants;
  private final MeterRegistry registry;
  private final ConnectionBudget budget;

  private TenantPools pools;
  private QueryExecutor executor;
  private MemberStats stats;
  private boolean warm;
  private boolean prewarming;
  private boolean keepWarmRunning;
  private int lastRoundOk;
  private int running;
  /** Set when this member is being handed to another node: it answers "moved" instead of running queries. */
  private boolean handingOver;
  private MessageConsumer<Object> queries;
  private AsyncMap<String, JsonArray> recentTenants;
  private JsonArray lastShared = new JsonArray();

  public ComputeVerticle(AppConfig config, String region, int index, PgTargets targets, TenantStore tenants,
                         MeterRegistry registry, ConnectionBudget budget) {
    this.budget = budget;
    this.config = config;
    this.region = region;
    this.index = index;
    this.address = Addresses.compute(region, index);
    this.targets = targets;
    this.tenants = tenants;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    pools = new TenantPools(vertx, targets, config.compute(), budget, config.limits().tenantConcurrency());
    executor = new QueryExecutor(vertx, new StatementRunner(config.limits()), config.limits().statementTimeoutMs());
    stats = new MemberStats(registry, region, index);
    vertx.setPeriodic(config.keepWarmIntervalMs(), id -> onTimer());
    Future<Void> control = vertx.eventBus().<String>consumer(Addresses.TENANT_CHANGED,
        msg -> pools.evict(msg.body())).completion();
    Future<Void> pressure = vertx.eventBus().<String>localConsumer(Addresses.BUDGET_PRESSURE,
        msg -> pools.relievePressure(msg.body())).completion();
    queries = vertx.eventBus().consumer(address, this::onMessage);
    Future<Void> handOver = vertx.eventBus().localConsumer(BusHeaders.handOverAddress(address), msg -> {
      handingOver = true;
      long deadline = System.currentTimeMillis() + config.drainMs();
      drained(deadline).compose(v -> shareRecentTenants()).onComplete(done -> msg.reply(null));
    }).completion();
    Future<Void> shared = vertx.sharedData().<String, JsonArray>getAsyncMap(RECENT_TENANTS)
        .map(map -> {
          recentTenants = map;
          return null;
        });
    return Future.all(List.of(control, pressure, handOver, queries.completion(), shared)).onSuccess(v -> prewarm());
  }

  /**
   * Stops taking queries, lets the running ones finish (bounded by {@code shutdown.drainMs}),
   * leaves its recent tenants for the next host of this address, then closes its connections.
   */
  @Override
  public Future<?> stop() {
    long deadline = System.currentTimeMillis() + config.drainMs();
    return queries.unregister()
        .compose(v -> drained(deadline))
        .compose(v -> shareRecentTenants())
        .eventually(() -> {
          pools.closeAll();
          stats.close();
          return Future.succeededFuture();
        });
  }

  private Future<Void> drained(long deadline) {
    if (running == 0 || System.currentTimeMillis() > deadline) {
      return Future.succeededFuture();
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(20, id -> drained(deadline).onComplete(later));
    return later.future();
  }

  /** Records, cluster-wide, the tenants this member keeps warm, so a new host can pre-warm them. */
  private Future<Void> shareRecentTenants() {
    JsonArray tenantsNow = new JsonArray();
    pools.all().stream().filter(p -> p.connections() > 0).limit(config.compute().prewarmTenants())
        .forEach(p -> tenantsNow.add(p.tenant()));
    if (recentTenants == null || tenantsNow.equals(lastShared)) {
      return Future.succeededFuture();
    }
    lastShared = tenantsNow;
    return recentTenants.put(address, tenantsNow).otherwiseEmpty();
  }

  private void onMessage(Message<Object> message) {
    String op = message.headers().get(BusHeaders.OP);
    if (BusHeaders.OP_STATUS.equals(op)) {
      message.reply(status());
      return;
    }
    if (BusHeaders.OP_CANCEL.equals(op)) {
      executor.cancel(message.headers().get(BusHeaders.CANCEL_ID));
      return;
    }
    String ackTo = message.headers().get(BusHeaders.ACK_TO);
    if (ackTo != null) {
      vertx.eventBus().send(ackTo, message.headers().get(BusHeaders.ACK_ID));
    }
    if (handingOver) {
      MOVED.failMessage(message);
      return;
    }
    QueryRequest request;
    try {
      if (!(message.body() instanceof JsonObject body)) {
        throw new PgdoException(ErrorCode.INVALID_REQUEST, "the message body must be a JSON object");
      }
      request = QueryRequest.fromJson(body);
    } catch (PgdoException e) {
      e.failMessage(message);
      return;
    }
    long start = System.nanoTime();
    running++;
    boolean[] warmHit = new boolean[1];
    // compose() turns anything thrown while starting the query into a failed future: every
    // message gets an answer, never a wait for the sender's deadline.
    Future.succeededFuture()
        .compose(v -> {
          TenantPool pool = pools.get(request.tenant());
          pool.admit(request);
          warmHit[0] = pool.hasIdleConnection();
          return executor.execute(request, pool, message.headers().get(BusHeaders.CANCEL_ID));
        })
        .andThen(done -> running--)
        .onSuccess(body -> {
          stats.recordQuery(warmHit[0], true, System.nanoTime() - start);
          body.put("compute", computeJson(warmHit[0]));
          message.reply(body);
        })
        .onFailure(err -> {
          stats.recordQuery(warmHit[0], false, System.nanoTime() - start);
          PgdoException error = PgErrors.translate(err);
          if (error.code() == ErrorCode.UNAUTHORIZED || PgErrors.isStatementCacheBroken(err)) {
            pools.evict(request.tenant()); // the next query starts from fresh connections
          } else if (error.code() == ErrorCode.INTERNAL_ERROR) {
            log.error("{}: query for tenant {} failed", address, request.tenant(), err);
          }
          error.failMessage(message);
        });
  }

  private JsonObject computeJson(boolean warmHit) {
    return new JsonObject().put("address", address).put("region", region).put("node", config.nodeId())
        .put("colo", null).put("warm", warmHit);
  }

  private JsonObject status() {
    refreshPoolStats();
    return stats.toJson()
        .put("address", address)
        .put("index", index)
        .put("region", region)
        .put("node", config.nodeId())
        .put("state", warm ? "warm" : "cold")
        .put("tenantEvictions", pools.evictions());
  }

  private void onTimer() {
    if (warm) {
      keepWarm();
    } else {
      prewarm(); // the first pre-warm failed (database down?): try again
    }
  }

  /**
   * Opens warm connections for the tenants this member wins, before any of them asks. The member
   * reports itself warm once this has run against a database that answers.
   */
  private void prewarm() {
    if (prewarming) {
      return;
    }
    prewarming = true;
    int poolSize = config.topology().poolSize(region);
    // Fetch more than our share: rendezvous hashing spreads the recent tenants over the whole pool.
    Future<JsonArray> handedOver = recentTenants.get(address).map(list -> list == null ? new JsonArray() : list)
        .otherwise(new JsonArray());
    Future<List<String>> newest = tenants.recentTenants(Math.max(1, config.compute().prewarmTenants() * poolSize * 2));
    Future.all(handedOver, newest)
        .onSuccess(both -> {
          // First the tenants the previous host of this address kept warm, then new winners.
          java.util.LinkedHashSet<String> candidates = new java.util.LinkedHashSet<>();
          handedOver.result().forEach(t -> candidates.add(String.valueOf(t)));
          newest.result().stream().filter(t -> Rendezvous.winner(t, poolSize) == index).forEach(candidates::add);
          List<String> mine = candidates.stream().limit(config.compute().prewarmTenants()).toList();
          mine.forEach(pools::get);
          keepWarm().onComplete(done -> {
            // warm once the database answered: the tenant list came from it, and a ping of a
            // pre-warmed tenant (if any) succeeded
            warm = mine.isEmpty() || lastRoundOk > 0;
            prewarming = false;
            log.debug("{} warm={} with {} pre-warmed tenants", address, warm, mine.size());
          });
        })
        .onFailure(err -> {
          prewarming = false;
          log.warn("{}: pre-warm failed, retrying at the next keep-warm: {}", address, err.getMessage());
        });
  }

  /** One keep-warm round; overlapping rounds are skipped so a slow database cannot pile them up. */
  private Future<Void> keepWarm() {
    if (keepWarmRunning) {
      return Future.succeededFuture();
    }
    keepWarmRunning = true;
    pools.cleanUp();
    List<Future<Boolean>> pings = new ArrayList<>();
    for (TenantPool pool : pools.all()) {
      int idle = pool.connections() - pool.inFlight();
      int toOpen = config.compute().warmConnectionsPerTenant() - pool.connections();
      for (int i = 0; i < Math.max(idle, toOpen); i++) {
        pings.add(ping(pool));
      }
    }
    return Future.join(pings).eventually(() -> {
      int ok = (int) pings.stream().filter(f -> Boolean.TRUE.equals(f.result())).count();
      lastRoundOk = ok;
      stats.recordKeepWarm(ok, pings.size() - ok);
      refreshPoolStats();
      keepWarmRunning = false;
      return shareRecentTenants();
    }).transform(done -> Future.succeededFuture());
  }

  /** Pings one connection; a dead one is dropped by the pool, so one retry opens its replacement. */
  private Future<Boolean> ping(TenantPool pool) {
    return pool.withConnectionNow(conn -> conn.query(SqlQueries.PING).execute())
        .recover(err -> PgErrors.isConnectionFailure(err)
            ? pool.withConnectionNow(conn -> conn.query(SqlQueries.PING).execute())
            : Future.failedFuture(err))
        .map(rows -> true)
        .otherwise(err -> {
          log.debug("{}: keep-warm ping for tenant {} failed: {}", address, pool.tenant(), err.getMessage());
          return false;
        });
  }

  private void refreshPoolStats() {
    int connections = 0;
    int warmTenants = 0;
    for (TenantPool pool : pools.all()) {
      connections += pool.connections();
      warmTenants += pool.connections() > 0 ? 1 : 0;
    }
    stats.recordPools(connections, warmTenants);
  }
}
