package dev.pgdo.tenant;

import dev.pgdo.bus.Addresses;
import dev.pgdo.config.AppConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The guards of the resources every tenant shares in one PostgreSQL, on each node:
 * <ul>
 *   <li>Every node consumes the guards' findings ({@link Addresses#RESOURCE_GUARD}) into its
 *       {@link TenantRestrictions}, which the compute members check before each request.</li>
 *   <li>One node of all those sharing the server is the guard: the one whose own admin session
 *       holds a PostgreSQL advisory lock. It samples the lock table every
 *       {@code limits.lockCheckIntervalMs} ({@link LockGuard}) and measures tenant databases every
 *       {@code limits.quotaCheckIntervalMs} ({@link DiskUsage}), one query in flight at a time. If
 *       its session ends, the lock goes with it and another node takes over at its next tick.</li>
 * </ul>
 * A duplicated guard would be harmless (ending an offender twice, measuring twice), but one
 * keeps the sampling cost on the server constant as nodes are added.
 */
public final class ResourceGuardVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ResourceGuardVerticle.class);

  /** Held by the guarding node's session in the metadata database; a session-level advisory lock. */
  private static final String TRY_GUARD_LOCK = "SELECT pg_catalog.pg_try_advisory_lock(hashtextextended('pgdo.resource-guard', 0))";
  private static final String INSUFFICIENT_PRIVILEGE = "42501";

  private final AppConfig.ResourceLimits limits;
  private final PgConnectOptions adminOptions;
  private final TenantNames names;
  private final MeterRegistry registry;

  private TenantRestrictions restrictions;
  private PgConnection session;
  private boolean connecting;
  private boolean guarding;
  private boolean busy;
  private boolean measureAsked;
  private long lastMeasureMs;
  private LockGuard lockGuard;
  private DiskUsage diskUsage;
  private boolean quotasReadable = true;
  private boolean signalWarned;
  private Counter offendersEnded;

  /** @param adminOptions admin connection options to the metadata database */
  public ResourceGuardVerticle(AppConfig.ResourceLimits limits, PgConnectOptions adminOptions, TenantNames names,
                               MeterRegistry registry) {
    this.limits = limits;
    this.adminOptions = adminOptions;
    this.names = names;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    restrictions = TenantRestrictions.of(vertx);
    diskUsage = new DiskUsage(names, limits.maxTenantBytes());
    offendersEnded = Counter.builder("pgdo.guard.lock.offenders")
        .description("Tenant roles whose sessions the lock guard ended").register(registry);
    Gauge.builder("pgdo.tenants.disk.bytes", restrictions, r -> total(r, "tenantBytes"))
        .description("Size of all tenant databases at the last measurement").baseUnit("bytes").register(registry);
    Gauge.builder("pgdo.tenants.over.quota", restrictions, r -> total(r, "tenantsOverQuota"))
        .description("Tenants over their disk quota at the last measurement").register(registry);
    vertx.setPeriodic(limits.lockCheckIntervalMs(), id -> tick());
    return vertx.eventBus().<JsonObject>consumer(Addresses.RESOURCE_GUARD, msg -> onFinding(msg.body())).completion();
  }

  private static double total(TenantRestrictions restrictions, String key) {
    JsonObject last = restrictions.lastMeasurement();
    return last == null ? 0 : last.getLong(key, 0L);
  }

  private void onFinding(JsonObject finding) {
    switch (finding.getString("kind", "")) {
      case "locks" -> restrictions.penaliseLocks(finding.getString("role"), finding.getLong("penaltyMs"));
      case "disk" -> {
        JsonArray over = finding.getJsonArray("overQuota", new JsonArray());
        JsonObject totals = finding.copy();
        totals.remove("overQuota");
        totals.remove("kind");
        restrictions.replaceOverQuota(over.stream().map(String::valueOf).toList(), totals);
      }
      case "measure" -> measureAsked = true; // a quota changed: the guard measures at its next tick
      default -> log.debug("unknown resource-guard message {}", finding);
    }
  }

  /** One round; skipped while the previous one runs, so a slow server cannot pile rounds up. */
  private void tick() {
    if (busy) {
      return;
    }
    if (session == null) {
      connect();
      return;
    }
    busy = true;
    Future<Void> round = guarding ? guardRound() : tryToGuard();
    round.onComplete(done -> {
      busy = false;
      if (done.failed()) {
        log.debug("resource guard round failed: {}", done.cause().getMessage());
      }
    });
  }

  private void connect() {
    if (connecting) {
      return;
    }
    connecting = true;
    PgConnection.connect(vertx, adminOptions)
        .onSuccess(conn -> {
          session = conn;
          conn.closeHandler(v -> {
            session = null;
            guarding = false; // the advisory lock ended with the session
          });
        })
        .onFailure(err -> log.debug("resource guard cannot connect: {}", err.getMessage()))
        .onComplete(done -> connecting = false);
  }

  private Future<Void> tryToGuard() {
    return session.query(TRY_GUARD_LOCK).execute().compose(rows -> {
      guarding = rows.iterator().next().getBoolean(0);
      if (!guarding) {
        return Future.succeededFuture();
      }
      return lockLimit().map(max -> {
        lockGuard = new LockGuard(max);
        log.info("this node guards the shared PostgreSQL: at most {} locks per tenant, quota check every {} ms",
            max, limits.quotaCheckIntervalMs());
        return null;
      });
    });
  }

  private Future<Long> lockLimit() {
    if (limits.maxLocksPerTenant() > 0) {
      return Future.succeededFuture(limits.maxLocksPerTenant());
    }
    return session.query(LockGuard.LOCK_TABLE_SIZE).execute()
        .map(rows -> Math.max(1, rows.iterator().next().getLong(0) / LockGuard.DEFAULT_SHARE_DIVISOR));
  }

  private Future<Void> guardRound() {
    Future<Void> locks = lockGuard.sample(session).compose(this::endOffenders);
    long now = System.currentTimeMillis();
    if (!quotasReadable || (!measureAsked && now - lastMeasureMs < limits.quotaCheckIntervalMs())) {
      return locks;
    }
    measureAsked = false;
    lastMeasureMs = now;
    return locks.compose(v -> diskUsage.measure(session))
        .map(measurement -> {
          vertx.eventBus().publish(Addresses.RESOURCE_GUARD, measurement.put("kind", "disk"));
          return (Void) null;
        })
        .recover(err -> {
          if (err instanceof PgException pg && INSUFFICIENT_PRIVILEGE.equals(pg.getSqlState())) {
            quotasReadable = false;
            log.warn("disk quotas are off: database.url's user may not read tenant database sizes "
                + "(needs superuser or pg_read_all_stats): {}", pg.getErrorMessage());
            return Future.succeededFuture();
          }
          return Future.failedFuture(err);
        });
  }

  /** Penalises first (new requests are refused at once on every node), then ends the sessions. */
  private Future<Void> endOffenders(List<LockGuard.Offender> offenders) {
    Future<Void> chain = Future.succeededFuture();
    for (LockGuard.Offender offender : offenders) {
      vertx.eventBus().publish(Addresses.RESOURCE_GUARD, new JsonObject().put("kind", "locks")
          .put("role", offender.role()).put("penaltyMs", limits.lockPenaltyMs()));
      chain = chain.compose(v -> lockGuard.end(session, offender.role()).map(ended -> {
        offendersEnded.increment();
        log.warn("tenant role {} held {} locks (limit {}): ended its {} sessions",
            offender.role(), offender.locks(), lockGuard.maxLocksPerTenant(), ended);
        return (Void) null;
      }).recover(this::tolerateNoSignalRight));
    }
    return chain;
  }

  /**
   * Without the right to signal tenant backends the penalty still refuses the tenant's new
   * requests, but a running statement keeps its locks until it ends (statement_timeout).
   */
  private Future<Void> tolerateNoSignalRight(Throwable err) {
    if (err instanceof PgException pg && INSUFFICIENT_PRIVILEGE.equals(pg.getSqlState())) {
      if (!signalWarned) {
        signalWarned = true;
        log.warn("the lock guard cannot end tenant sessions: database.url's user needs superuser or "
            + "pg_signal_backend: {}", pg.getErrorMessage());
      }
      return Future.succeededFuture();
    }
    return Future.failedFuture(err);
  }

  @Override
  public Future<?> stop() {
    return session == null ? Future.succeededFuture() : session.close();
  }

}
