package dev.pgdo.cluster;

import dev.pgdo.config.AppConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A node's Vert.x, with Micrometer metrics, clustered over Hazelcast when {@code cluster.enabled},
 * and the node's {@link ClusterView} wired to Hazelcast's membership events.
 *
 * @param clusterManager null for a standalone node
 */
public record NodeVertx(Vertx vertx, HazelcastClusterManager clusterManager, ClusterView view) {

  /**
   * Vert.x, clustered when {@code cluster.enabled}. The cluster view needs the node id that
   * Vert.x gets on joining, while Hazelcast's membership listener must exist before the join:
   * the listener reaches the view through a reference set right after.
   */
  public static NodeVertx start(AppConfig config, MeterRegistry registry) {
    AtomicReference<ClusterView> viewRef = new AtomicReference<>();
    CompletableFuture<Void> peerJoined = new CompletableFuture<>();
    HazelcastClusterManager clusterManager = config.cluster().enabled()
        ? HazelcastSetup.clusterManager(config,
            () -> {
              peerJoined.complete(null);
              Optional.ofNullable(viewRef.get()).ifPresent(ClusterView::markChanged);
            },
            nodeId -> Optional.ofNullable(viewRef.get()).ifPresent(view -> view.nodeLeft(nodeId)))
        : null;
    ClusterView.NodeInfo selfInfo = new ClusterView.NodeInfo(config.nodeId(), config.nodeId(), config.nodeRegion(),
        "http://" + config.http().host() + ":" + config.http().port(), config.hostedRegions());
    Vertx vertx = buildVertx(config, registry, clusterManager, selfInfo, peerJoined);
    String selfId = clusterManager != null ? clusterManager.getNodeId() : config.nodeId();
    ClusterView view = new ClusterView(new ClusterView.NodeInfo(selfId, selfInfo.name(), selfInfo.region(),
        selfInfo.http(), selfInfo.hostedRegions()));
    viewRef.set(view);
    return new NodeVertx(vertx, clusterManager, view);
  }

  /** @param peerJoined completed when another member joins after this one started joining */
  private static Vertx buildVertx(AppConfig config, MeterRegistry registry,
                                  HazelcastClusterManager clusterManager, ClusterView.NodeInfo self,
                                  CompletableFuture<Void> peerJoined) {
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
    if (config.cluster().requirePeers() && !awaitPeer(clusterManager, peerJoined, config.cluster().joinTimeoutMs())) {
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

  /**
   * Blocking (start-up only): waits until the cluster has a member besides this node, either
   * found on joining or announced by Hazelcast's membership listener afterwards.
   */
  private static boolean awaitPeer(HazelcastClusterManager clusterManager, CompletableFuture<Void> peerJoined,
                                   long timeoutMs) {
    if (clusterManager.getNodes().size() >= 2) {
      return true;
    }
    try {
      peerJoined.get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
