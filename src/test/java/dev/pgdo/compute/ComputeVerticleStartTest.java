package dev.pgdo.compute;

import dev.pgdo.bus.Addresses;
import dev.pgdo.bus.BusHeaders;
import dev.pgdo.config.AppConfig;
import dev.pgdo.config.ConfigLoader;
import dev.pgdo.it.TestNode;
import dev.pgdo.tenant.PgTargets;
import dev.pgdo.tenant.RoleLimits;
import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member whose start-up waits on something slow (here the cluster-wide recent-tenants map,
 * delayed past several keep-warm intervals) must not run a keep-warm tick on a half-started
 * member: such a tick used to throw in {@code prewarm()} with its "pre-warm running" flag left
 * set, and the member never reported itself warm.
 */
@DisplayName("A compute member arms its keep-warm timer only once it has started")
class ComputeVerticleStartTest {

  /** The shortest keep-warm interval the configuration allows. */
  private static final long KEEP_WARM_MS = 100;
  /** Long enough for several keep-warm ticks to come before the map does. */
  private static final long MAP_DELAY_MS = 5 * KEEP_WARM_MS;

  private static TestNode node;
  private static Vertx vertx;
  private static Pool admin;

  @BeforeAll
  static void start() {
    node = TestNode.start(); // creates and bootstraps a metadata database for this test
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close().await();
    }
    vertx.close().await();
    node.close();
  }

  @Test
  void aSlowStartDoesNotLeaveTheMemberCold() {
    AppConfig base = node.node.config();
    AppConfig config = ConfigLoader.load(new String[] {"-conf", "conf/local.json",
        "--database.url=" + base.database().url(), "--database.metadataDb=" + base.database().metadataDb(),
        "--keepWarm.intervalMs=" + KEEP_WARM_MS, "--tenantSecret=test-secret", "--adminToken=unused",
        "--dataDir=target/test-data/start-order"}, Map.of());
    PgTargets targets = new PgTargets(config.database().url(), new Secrets("test-secret"),
        config.limits().statementTimeoutMs());
    admin = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
        .connectingTo(targets.admin(config.database().metadataDb())).using(vertx).build();
    TenantStore tenants = new TenantStore(admin, targets.secrets(), config.limits().statementTimeoutMs(), 10,
        new RoleLimits(config.resources().tempFileLimitMb()), config.resources().maxTenantBytes());
    ConcurrentLinkedQueue<Throwable> uncaught = new ConcurrentLinkedQueue<>();
    vertx.exceptionHandler(uncaught::add);

    ComputeVerticle member = new ComputeVerticle(config, "enam", 0, targets, tenants, new SimpleMeterRegistry(),
        new ConnectionBudget(10), v -> v.timer(MAP_DELAY_MS, TimeUnit.MILLISECONDS)
            .compose(t -> v.sharedData().<String, JsonArray>getAsyncMap(Addresses.RECENT_TENANTS_MAP)));
    vertx.deployVerticle(member).await();

    String state = "cold";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!"warm".equals(state) && System.nanoTime() < deadline) {
      JsonObject status = vertx.eventBus().<JsonObject>request(Addresses.compute("enam", 0), new JsonObject(),
          new DeliveryOptions().addHeader(BusHeaders.OP, BusHeaders.OP_STATUS)).await().body();
      state = status.getString("state");
      if (!"warm".equals(state)) {
        vertx.timer(KEEP_WARM_MS, TimeUnit.MILLISECONDS).await();
      }
    }
    assertThat(List.copyOf(uncaught)).as("exceptions thrown on the member's event loop").isEmpty();
    assertThat(state).isEqualTo("warm");
  }
}
