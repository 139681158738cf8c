package dev.pgdo;

import dev.pgdo.bus.Addresses;
import dev.pgdo.compute.ComputeVerticle;
import dev.pgdo.compute.ConnectionBudget;
import io.micrometer.core.instrument.Gauge;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.EmbeddedPostgresServer;
import dev.pgdo.db.PgTargets;
import dev.pgdo.db.SqlQueries;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantNames;
import dev.pgdo.tenant.TenantStore;
import dev.pgdo.web.NodeState;
import dev.pgdo.web.TenantAuth;
import dev.pgdo.web.TenantLimiter;
import dev.pgdo.web.WebVerticle;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running postgres-do node: its PostgreSQL (embedded or configured), Vert.x, the compute
 * members it hosts and the web verticles. {@link #start} and {@link #stop} block, so they are
 * called from {@code main} (or a test thread), never from an event loop.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final AppConfig config;
  private final EmbeddedPostgresServer embedded;
  private final Vertx vertx;
  private final Pool admin;
  private final NodeState state;
  private final Path adminTokenFile;
  private final Map<String, String> computeDeployments;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private Node(AppConfig config, EmbeddedPostgresServer embedded, Vertx vertx, Pool admin, NodeState state,
               Path adminTokenFile, Map<String, String> computeDeployments) {
    this.computeDeployments = computeDeployments;
    this.config = config;
    this.embedded = embedded;
    this.vertx = vertx;
    this.admin = admin;
    this.state = state;
    this.adminTokenFile = adminTokenFile;
  }

  public static Node start(AppConfig config) {
    EmbeddedPostgresServer embedded = config.database().embedded()
        ? EmbeddedPostgresServer.start(config.dataDir().resolve("pg"), config.database().embeddedPort())
        : null;
    Vertx vertx = null;
    try {
      String url = embedded != null ? embedded.url() : config.database().url();
      Path adminTokenFile = config.adminToken() == null ? config.dataDir().resolve("admin-token") : null;
      String adminToken = adminTokenFile != null ? SecretFiles.readOrCreate(adminTokenFile) : config.adminToken();
      String tenantSecret = config.tenantSecret() != null ? config.tenantSecret()
          : SecretFiles.readOrCreate(config.dataDir().resolve("tenant-secret"));
      PgTargets targets = new PgTargets(url, new Secrets(tenantSecret), config.limits().statementTimeoutMs());

      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      vertx = Vertx.builder()
          .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
              .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
              // Vert.x names every SQL pool alike, so its pool gauges would clash (one per tenant
              // pool); the members publish their own connection gauges instead.
              .addDisabledMetricsCategory(MetricsDomain.NAMED_POOLS)))
          .withMetrics(new MicrometerMetricsFactory(registry))
          .build();

      ensureMetadataDatabase(vertx, targets, config.database().metadataDb(), url);
      Pool admin = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(config.database().adminPoolSize()))
          .connectingTo(targets.admin(config.database().metadataDb()))
          .using(vertx)
          .build();
      int roleConnectionLimit = config.compute().connectionsPerTenant() * config.topology().pooledRegions().size() * 2;
      TenantStore tenants = new TenantStore(admin, targets.secrets(), config.limits().statementTimeoutMs(),
          roleConnectionLimit);
      tenants.bootstrap(config.database().metadataDb()).await();

      NodeState state = new NodeState();
      Map<String, String> computeDeployments = deployCompute(vertx, config, targets, tenants, registry);
      TenantAuth auth = new TenantAuth(tenants);
      TenantLimiter limiter = new TenantLimiter(config.limits().tenantConcurrency());
      vertx.deployVerticle(() -> new WebVerticle(config, tenants, auth, limiter, state, registry, adminToken),
          new DeploymentOptions().setInstances(config.http().instances())).await();

      Node node = new Node(config, embedded, vertx, admin, state, adminTokenFile, computeDeployments);
      log.info("postgres-do node {} (region {}) serving http://{}:{} with {} compute members of {}",
          config.nodeId(), config.nodeRegion(), config.http().host(), config.http().port(),
          config.hostedRegions().stream().mapToInt(r -> config.topology().poolSize(r)).sum(), config.hostedRegions());
      if (adminTokenFile != null) {
        log.info("admin token stored in {}", adminTokenFile.toAbsolutePath());
      }
      return node;
    } catch (RuntimeException e) {
      if (vertx != null) {
        vertx.close().await();
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /** Creates the service's metadata database when the server does not have it yet. */
  private static void ensureMetadataDatabase(Vertx vertx, PgTargets targets, String metadataDb, String url) {
    String bootstrapDb = io.vertx.pgclient.PgConnectOptions.fromUri(url).getDatabase();
    Pool bootstrap = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(targets.admin(bootstrapDb == null ? "postgres" : bootstrapDb)).using(vertx).build();
    try {
      boolean exists = bootstrap.preparedQuery(SqlQueries.DATABASE_EXISTS).execute(Tuple.of(metadataDb))
          .map(rows -> rows.size() > 0).await();
      if (!exists) {
        bootstrap.query("CREATE DATABASE " + TenantNames.quote(metadataDb)).execute().await();
        log.info("created metadata database {}", metadataDb);
      }
    } finally {
      bootstrap.close().await();
    }
  }

  /** Deploys one compute verticle per hosted (region, index); returns address → deployment id. */
  private static Map<String, String> deployCompute(Vertx vertx, AppConfig config, PgTargets targets,
                                                   TenantStore tenants, PrometheusMeterRegistry registry) {
    ConnectionBudget budget = new ConnectionBudget(config.compute().maxConnections());
    Gauge.builder("pgdo.connections.budget.used", budget, ConnectionBudget::used)
        .description("Tenant connection permits held on this node").register(registry);
    Gauge.builder("pgdo.connections.budget.capacity", budget, ConnectionBudget::capacity).register(registry);
    Map<String, Future<String>> deployments = new LinkedHashMap<>();
    for (String region : config.hostedRegions()) {
      for (int i = 0; i < config.topology().poolSize(region); i++) {
        deployments.put(Addresses.compute(region, i),
            vertx.deployVerticle(new ComputeVerticle(config, region, i, targets, tenants, registry, budget)));
      }
    }
    Future.all(new ArrayList<>(deployments.values())).await();
    Map<String, String> ids = new ConcurrentHashMap<>();
    deployments.forEach((address, id) -> ids.put(address, id.result()));
    return ids;
  }

  /**
   * Takes one compute member out of service on this node (its queries fail over to the next
   * member in each tenant's rendezvous order). Used by operators and by the failover tests.
   */
  public Future<Void> undeployMember(String address) {
    String id = computeDeployments.remove(address);
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }

  public AppConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Null when the admin token came from configuration. */
  public Path adminTokenFile() {
    return adminTokenFile;
  }

  /**
   * Graceful stop: refuse new queries, let in-flight ones finish (at most {@code shutdown.drainMs}),
   * undeploy everything, close connections, stop the embedded PostgreSQL. Idempotent.
   */
  public void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    state.startDraining();
    long deadline = System.nanoTime() + config.drainMs() * 1_000_000;
    while (state.inFlight() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (state.inFlight() > 0) {
      log.warn("stopping with {} queries still in flight after {} ms", state.inFlight(), config.drainMs());
    }
    try {
      admin.close().await();
      vertx.close().await();
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    log.info("postgres-do node {} stopped", config.nodeId());
  }
}
