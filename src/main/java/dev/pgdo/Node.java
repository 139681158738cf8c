package dev.pgdo;

import dev.pgdo.cluster.ClusterView;
import dev.pgdo.cluster.NodeVertx;
import dev.pgdo.cluster.Placement;
import dev.pgdo.compute.ComputeVerticle;
import dev.pgdo.compute.ConnectionBudget;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.EmbeddedPostgresServer;
import dev.pgdo.db.MemorySettings;
import dev.pgdo.tenant.PgTargets;
import dev.pgdo.tenant.ResourceGuardVerticle;
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
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running postgres-do node: its PostgreSQL (embedded or configured), Vert.x (clustered over
 * Hazelcast when {@code cluster.enabled}), the placement of compute members, and the web
 * verticles. {@link #start} and {@link #stop} block, so they are called from {@code main} (or a
 * test thread), never from an event loop.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);
  /**
   * After the last hand-over, how long the event bus stays up: replies of the last queries are
   * written asynchronously to other nodes, and a few hundred milliseconds see them on the wire.
   */
  private static final long LINGER_MS = 500;
  /** How often {@link #stop} looks at the HTTP queries still in flight while draining (NodeState has no completion). */
  private static final long DRAIN_CHECK_MS = 20;

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

  /** The node's secrets: the admin token (with the file it was read from, if any) and the tenant secret. */
  private record NodeSecrets(String adminToken, Path adminTokenFile, String tenantSecret) {
  }

  /**
   * Starts a node: each step below needs the ones before it, except the embedded database,
   * which starts beside Vert.x and the cluster join (neither needs the other, and each takes
   * about half a second). A failure undoes what was started.
   */
  public static Node start(AppConfig config) {
    CompletableFuture<EmbeddedPostgresServer> database = CompletableFuture.supplyAsync(() -> startEmbeddedDatabase(config));
    EmbeddedPostgresServer embedded = null;
    Vertx vertx = null;
    try {
      NodeSecrets secrets = readSecrets(config);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      NodeVertx runtime = NodeVertx.start(config, registry);
      vertx = runtime.vertx();
      embedded = await(database);
      String url = embedded != null ? embedded.url() : config.database().url();
      PgTargets targets = new PgTargets(url, new Secrets(secrets.tenantSecret()), config.limits().statementTimeoutMs(),
          MemorySettings.of(config.resources()));
      MetadataDatabase metadata = MetadataDatabase.open(config, vertx, targets, url, embedded != null);
      deployResourceGuard(config, vertx, targets, registry);
      ConnectionBudget budget = connectionBudget(config, registry);
      Placement placement = deployPlacement(config, runtime, targets, metadata.tenants(), registry, budget);
      NodeState state = new NodeState();
      String web = deployWeb(config, vertx, metadata.tenants(), state, registry, secrets.adminToken(), runtime.view());
      logStarted(config, runtime, secrets);
      return new Node(config, embedded, vertx, metadata.admin(), state, secrets.adminTokenFile(), placement, web);
    } catch (RuntimeException e) {
      if (vertx != null) {
        vertx.close().await();
      }
      if (embedded == null) {
        embedded = database.handle((started, failed) -> started).join(); // it may still be starting
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /** The embedded database once started (null when none is configured); its start's own exception if it failed. */
  private static EmbeddedPostgresServer await(CompletableFuture<EmbeddedPostgresServer> database) {
    try {
      return database.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** The embedded PostgreSQL when no {@code database.url} is set; null otherwise. */
  private static EmbeddedPostgresServer startEmbeddedDatabase(AppConfig config) {
    return config.database().embedded()
        ? EmbeddedPostgresServer.start(config.dataDir().resolve("pg"), config.database().embeddedPort())
        : null;
  }

  /** Secrets from the configuration, else from (or newly written to) files in the data directory. */
  private static NodeSecrets readSecrets(AppConfig config) {
    Path adminTokenFile = config.adminToken() == null ? config.dataDir().resolve("admin-token") : null;
    String adminToken = adminTokenFile != null ? SecretFiles.readOrCreate(adminTokenFile) : config.adminToken();
    String tenantSecret = config.tenantSecret() != null ? config.tenantSecret()
        : SecretFiles.readOrCreate(config.dataDir().resolve("tenant-secret"));
    return new NodeSecrets(adminToken, adminTokenFile, tenantSecret);
  }

  /** Deploys the guard of the resources every tenant shares in PostgreSQL (lock table, disk). */
  private static void deployResourceGuard(AppConfig config, Vertx vertx, PgTargets targets,
                                          PrometheusMeterRegistry registry) {
    vertx.deployVerticle(new ResourceGuardVerticle(config.resources(), targets.admin(config.database().metadataDb()),
        new TenantNames(targets.secrets()), registry)).await();
  }

  /** The node's tenant connection budget, shared by its members, with its gauges. */
  private static ConnectionBudget connectionBudget(AppConfig config, PrometheusMeterRegistry registry) {
    ConnectionBudget budget = new ConnectionBudget(config.compute().maxConnections());
    Gauge.builder("pgdo.connections.budget.used", budget, ConnectionBudget::used)
        .description("Tenant connection permits held on this node").register(registry);
    Gauge.builder("pgdo.connections.budget.capacity", budget, ConnectionBudget::capacity).register(registry);
    return budget;
  }

  /** Deploys placement, which deploys a compute member for each address this node wins. */
  private static Placement deployPlacement(AppConfig config, NodeVertx runtime, PgTargets targets, TenantStore tenants,
                                           PrometheusMeterRegistry registry, ConnectionBudget budget) {
    Placement placement = new Placement(config, runtime.view(), runtime.clusterManager(),
        (region, index) -> new ComputeVerticle(config, region, index, targets, tenants, registry, budget));
    runtime.vertx().deployVerticle(placement).await();
    return placement;
  }

  /** Deploys {@code http.instances} web verticles; returns the deployment id. */
  private static String deployWeb(AppConfig config, Vertx vertx, TenantStore tenants, NodeState state,
                                  PrometheusMeterRegistry registry, String adminToken, ClusterView view) {
    TenantAuth auth = new TenantAuth(tenants, config.http().authFailuresPerMinute());
    TenantLimiter limiter = new TenantLimiter(config.limits().tenantConcurrency());
    WebMetrics webMetrics = new WebMetrics(registry, config.topology().colos().keySet());
    return vertx.deployVerticle(
        () -> new WebVerticle(config, tenants, auth, limiter, state, registry, adminToken, view, webMetrics),
        new DeploymentOptions().setInstances(config.http().instances())).await();
  }

  private static void logStarted(AppConfig config, NodeVertx runtime, NodeSecrets secrets) {
    log.info("postgres-do node {} (region {}{}) serving http://{}:{}; hosts regions {}",
        config.nodeId(), config.nodeRegion(),
        runtime.clusterManager() != null ? ", cluster " + config.cluster().name() : "",
        config.http().host(), config.http().port(), config.hostedRegions());
    if (secrets.adminTokenFile() != null) {
      log.info("admin token stored in {}", secrets.adminTokenFile().toAbsolutePath());
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
        Thread.sleep(LINGER_MS);
      }
      while (state.inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(DRAIN_CHECK_MS);
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
