package dev.pgdo;

import dev.pgdo.config.AppConfig;
import dev.pgdo.db.SqlQueries;
import dev.pgdo.tenant.PgTargets;
import dev.pgdo.tenant.RoleLimits;
import dev.pgdo.tenant.TenantNames;
import dev.pgdo.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The service's metadata database as a node opens it at start-up: created when the server does
 * not have it yet, an admin pool on it, and the tenant registry bootstrapped. Blocking: start-up only.
 */
record MetadataDatabase(Pool admin, TenantStore tenants) {

  private static final Logger log = LoggerFactory.getLogger(MetadataDatabase.class);
  /** Registry lookups and admin calls waiting for an admin connection, at most. */
  private static final int ADMIN_WAIT_QUEUE = 512;

  /** Creates the metadata database if needed, opens the admin pool, and bootstraps the tenant registry. */
  static MetadataDatabase open(AppConfig config, Vertx vertx, PgTargets targets, String url,
                                       boolean embedded) {
    ensureMetadataDatabase(vertx, targets, config.database().metadataDb(), url);
    Pool admin = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(config.database().adminPoolSize())
            .setMaxWaitQueueSize(ADMIN_WAIT_QUEUE)
            .setConnectionTimeout(config.compute().connectTimeoutMs())
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(targets.admin(config.database().metadataDb()))
        .using(vertx)
        .build();
    // a tenant's share in every pooled region, doubled as headroom
    int roleConnectionLimit = config.compute().connectionsPerTenant() * config.topology().pooledRegions().size() * 2;
    TenantStore tenants = new TenantStore(admin, targets.secrets(), config.limits().statementTimeoutMs(),
        roleConnectionLimit, new RoleLimits(config.resources().tempFileLimitMb()), config.resources().maxTenantBytes());
    tenants.bootstrap(config.database().metadataDb(), embedded).await();
    return new MetadataDatabase(admin, tenants);
  }

  /** Creates the service's metadata database when the server does not have it yet. */
  private static void ensureMetadataDatabase(Vertx vertx, PgTargets targets, String metadataDb, String url) {
    String bootstrapDb = PgConnectOptions.fromUri(url).getDatabase();
    Pool bootstrap = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(targets.admin(bootstrapDb == null ? "postgres" : bootstrapDb)).using(vertx).build();
    try {
      boolean exists = bootstrap.preparedQuery(SqlQueries.DATABASE_EXISTS).execute(Tuple.of(metadataDb))
          .map(rows -> rows.size() > 0).await();
      if (!exists) {
        bootstrap.query("CREATE DATABASE " + TenantNames.quote(metadataDb)).execute()
            // another node may have created it at the same moment
            .recover(err -> bootstrap.preparedQuery(SqlQueries.DATABASE_EXISTS).execute(Tuple.of(metadataDb))
                .compose(rows -> rows.size() > 0 ? Future.succeededFuture() : Future.failedFuture(err)))
            .await();
        log.info("created metadata database {}", metadataDb);
      }
    } finally {
      bootstrap.close().await();
    }
  }
}
