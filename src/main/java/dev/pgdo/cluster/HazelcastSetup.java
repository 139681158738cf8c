package dev.pgdo.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import dev.pgdo.config.AppConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.function.Consumer;

/**
 * The Hazelcast configuration of a node: Vert.x's own map settings, a cluster name per
 * deployment, TCP-IP join to the configured members on the private interface only (no multicast,
 * no auto-detection, no phone-home), a fast heartbeat so a hung node is dropped within seconds,
 * and the node's region as a member attribute.
 */
public final class HazelcastSetup {

  /** The member attribute where vertx-hazelcast keeps the Vert.x node id. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  private HazelcastSetup() {
  }

  /**
   * @param nodeJoined called when a member joins, on a Hazelcast thread
   * @param nodeLeft   receives the Vert.x node id of each member that leaves, on a Hazelcast thread
   */
  public static HazelcastClusterManager clusterManager(AppConfig config, Runnable nodeJoined,
                                                       Consumer<String> nodeLeft) {
    AppConfig.Cluster cluster = config.cluster();
    Config hz = ConfigUtil.loadConfig()
        .setClusterName(cluster.name())
        .setProperty("hazelcast.phone.home.enabled", "false")
        .setProperty("hazelcast.wait.seconds.before.join", "0")
        .setProperty("hazelcast.socket.bind.any", "false")
        .setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(cluster.heartbeatSeconds()))
        .setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(cluster.maxNoHeartbeatSeconds()))
        .setProperty("hazelcast.shutdownhook.enabled", "false")
        .setProperty("hazelcast.logging.type", "slf4j");
    NetworkConfig network = hz.getNetworkConfig()
        .setPort(cluster.port())
        .setPortAutoIncrement(false)
        .setPublicAddress(cluster.host() + ":" + cluster.port());
    network.getInterfaces().setEnabled(true).addInterface(cluster.host());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    hz.getMemberAttributeConfig().setAttribute("region", config.nodeRegion());
    hz.addListenerConfig(new ListenerConfig(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // placement picks the new node up in its next round; senders start asking for receipts now
        nodeJoined.run();
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String vertxNodeId = event.getMember().getAttribute(VERTX_NODE_ID);
        if (vertxNodeId != null) {
          nodeLeft.accept(vertxNodeId);
        }
      }
    }));
    return new HazelcastClusterManager(hz);
  }
}
