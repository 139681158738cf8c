package dev.pgdo;

import dev.pgdo.cluster.ClusterView;
import dev.pgdo.cluster.HazelcastSetup;
import dev.pgdo.cluster.Placement;
import dev.pgdo.compute.ComputeVerticle;
import dev.pgdo.compute.ConnectionBudget;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.EmbeddedPostgresServer;
import dev.pgdo.db.PgTargets;
import dev.pgdo.db.SqlQueries;
import dev.pgdo.tenant.ResourceGuardVerticle;
import dev.pgdo.tenant.RoleLimits;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantNames;
import dev.pgdo.tenant.TenantStore;
import dev.pgdo.web.NodeState;
import dev.pgdo.web.TenantAuth;
import dev.pgdo.web.TenantLimiter;
import dev.pgdo.web.WebMetrics;
import dev.pgdo.web.WebVerticle;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running postgres-do node: its PostgreSQL (embedded or configured), Vert.x (clustered over
 * Hazelcast when {@code cluster.enabled}), the placement of compute members, and the web
 * verticles. {@link #start} and {@link #stop} block, so they are called from {@code main} (or a
 * test thread), never from an event loop.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final long LINGER_MS = 500;
  /** Registry lookups and admin calls waiting for an admin connection, at most. */
  private static final int ADMIN_WAIT_QUEUE = 512;

  private final AppConfig config;
  private final EmbeddedPostgresServer embedded;
  private final Vertx vertx;
  private final Pool admin;
  private final NodeState state;
  private final Path adminTokenFile;
  private final Placement placement;
  private final String webDeployment;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private Node(AppConfig config, EmbeddedPostgresServer embedded, Vertx vertx, Pool admin, NodeState state,
               Path adminTokenFile, Placement placement, String webDeployment) {
    this.config = config;
    this.embedded = embedded;
    this.vertx = vertx;
    this.admin = admin;
    this.state = state;
    this.adminTokenFile = adminTokenFile;
    this.placement = placement;
    this.webDeployment = webDeployment;
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

      AtomicReference<ClusterView> viewRef = new AtomicReference<>();
      HazelcastClusterManager clusterManager = config.cluster().enabled()
          ? HazelcastSetup.clusterManager(config, nodeId -> {
              ClusterView current = viewRef.get();
              if (current != null) {
                current.nodeLeft(nodeId);
              }
            })
          : null;
      ClusterView.NodeInfo selfInfo = new ClusterView.NodeInfo(config.nodeId(), config.nodeId(), config.nodeRegion(),
          "http://" + config.http().host() + ":" + config.http().port(), config.hostedRegions());
      vertx = buildVertx(config, registry, clusterManager, selfInfo);
      String selfId = clusterManager != null ? clusterManager.getNodeId() : config.nodeId();
      ClusterView view = new ClusterView(new ClusterView.NodeInfo(selfId, selfInfo.name(), selfInfo.region(),
          selfInfo.http(), selfInfo.hostedRegions()));
      viewRef.set(view);

      ensureMetadataDatabase(vertx, targets, config.database().metadataDb(), url);
      Pool admin = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(config.database().adminPoolSize())
              .setMaxWaitQueueSize(ADMIN_WAIT_QUEUE)
              .setConnectionTimeout(config.compute().connectTimeoutMs())
              .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
          .connectingTo(targets.admin(config.database().metadataDb()))
          .using(vertx)
          .build();
      int roleConnectionLimit = config.compute().connectionsPerTenant() * config.topology().pooledRegions().size() * 2;
      TenantStore tenants = new TenantStore(admin, targets.secrets(), config.limits().statementTimeoutMs(),
          roleConnectionLimit, new RoleLimits(config.resources().tempFileLimitMb()), config.resources().maxTenantBytes());
      tenants.bootstrap(config.database().metadataDb(), embedded != null).await();
      vertx.deployVerticle(new ResourceGuardVerticle(config.resources(), targets.admin(config.database().metadataDb()),
          new TenantNames(targets.secrets()), registry)).await();

      ConnectionBudget budget = new ConnectionBudget(config.compute().maxConnections());
      Gauge.builder("pgdo.connections.budget.used", budget, ConnectionBudget::used)
          .description("Tenant connection permits held on this node").register(registry);
      Gauge.builder("pgdo.connections.budget.capacity", budget, ConnectionBudget::capacity).register(registry);
      Placement placement = new Placement(config, view, clusterManager,
          (region, index) -> new ComputeVerticle(config, region, index, targets, tenants, registry, budget));
      vertx.deployVerticle(placement).await();

      NodeState state = new NodeState();
      TenantAuth auth = new TenantAuth(tenants);
      TenantLimiter limiter = new TenantLimiter(config.limits().tenantConcurrency());
      WebMetrics webMetrics = new WebMetrics(registry, config.topology().colos().keySet());
      String web = vertx.deployVerticle(
          () -> new WebVerticle(config, tenants, auth, limiter, state, registry, adminToken, view, webMetrics),
          new DeploymentOptions().setInstances(config.http().instances())).await();

      Node node = new Node(config, embedded, vertx, admin, state, adminTokenFile, placement, web);
      log.info("postgres-do node {} (region {}{}) serving http://{}:{}; hosts regions {}",
          config.nodeId(), config.nodeRegion(),
          clusterManager != null ? ", cluster " + config.cluster().name() : "",
          config.http().host(), config.http().port(), config.hostedRegions());
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

  private static Vertx buildVertx(AppConfig config, PrometheusMeterRegistry registry,
                                  HazelcastClusterManager clusterManager, ClusterView.NodeInfo self) {
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        // Vert.x names every SQL pool alike, so its pool gauges would clash (one per tenant
        // pool); the members publish their own connection gauges instead.
        .addDisabledMetricsCategory(MetricsDomain.NAMED_POOLS));
    var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(registry));
    if (clusterManager == null) {
      return builder.with(options).build();
    }
    options.setEventBusOptions(new EventBusOptions()
        .setHost(config.cluster().host())
        .setPort(config.cluster().busPort())
        .setClusterPublicHost(config.cluster().host())
        .setClusterNodeMetadata(self.toMetadata()));
    Vertx vertx;
    try {
      vertx = builder.with(options).withClusterManager(clusterManager).buildClustered()
          .timeout(config.cluster().joinTimeoutMs(), TimeUnit.MILLISECONDS)
          .await();
    } catch (RuntimeException e) {
      throw new IllegalStateException(joinProblem(config, e.getMessage()), e);
    }
    if (config.cluster().requirePeers() && !awaitPeer(clusterManager, config.cluster().joinTimeoutMs())) {
      vertx.close().await();
      throw new IllegalStateException(joinProblem(config,
          "no other member answered; check cluster.members, cluster.name and the network"));
    }
    return vertx;
  }

  private static String joinProblem(AppConfig config, String why) {
    return "cannot join cluster '" + config.cluster().name() + "' via " + config.cluster().members() + " on "
        + config.cluster().host() + ":" + config.cluster().port() + ": " + why;
  }

  /** Blocking (start-up only): waits until the cluster has a member besides this node. */
  private static boolean awaitPeer(HazelcastClusterManager clusterManager, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (clusterManager.getNodes().size() < 2) {
      if (System.currentTimeMillis() > deadline) {
        return false;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
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
   * Takes one compute member out of service on this node (its queries fail over to the next
   * member in each tenant's rendezvous order). Used by operators and by the failover tests.
   */
  public Future<Void> undeployMember(String address) {
    return placement.undeployMember(address);
  }

  /**
   * Graceful stop: readiness turns 503 while queries are still served; the node's members are
   * handed to other nodes (each lets its in-flight statements finish); in-flight HTTP queries
   * finish; then the node leaves the cluster, and the embedded PostgreSQL stops. Every wait is
   * bounded by {@code shutdown.drainMs}. Idempotent.
   */
  public void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    state.startDraining();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.drainMs());
    try {
      if (config.cluster().enabled()) {
        placement.leave(config.drainMs()).await();
        // Replies of the last queries are written asynchronously to other nodes; give them a
        // moment on the wire before the event bus connections close.
        Thread.sleep(LINGER_MS);
      }
      while (state.inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (state.inFlight() > 0) {
        log.warn("stopping with {} queries still in flight after {} ms", state.inFlight(), config.drainMs());
      }
      vertx.undeploy(webDeployment).await();
      admin.close().await();
      vertx.close().await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("unclean stop: {}", e.getMessage());
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    log.info("postgres-do node {} stopped", config.nodeId());
  }
}
