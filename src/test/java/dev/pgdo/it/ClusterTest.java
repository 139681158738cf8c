package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three clustered nodes in this JVM (real Hazelcast on 127.0.0.1, one cluster name per run):
 * enam, weur and apac. wnam, eeur and oc have no node and are hosted by their fallbacks.
 */
@DisplayName("A Hazelcast cluster of region nodes routes every query to the node hosting its member")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

  private static final String CLUSTER = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private static final Map<String, TestNode> nodes = new HashMap<>();
  private static String tenant;
  private static String token;

  @BeforeAll
  static void start() {
    int[] ports = {TestNode.freePort(), TestNode.freePort(), TestNode.freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    String[] regions = {"enam", "weur", "apac"};
    String metadataDb = "pgdo_cluster_" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < regions.length; i++) {
      nodes.put(regions[i], TestNode.start(
          "--cluster.enabled=true", "--cluster.name=" + CLUSTER, "--cluster.port=" + ports[i],
          "--cluster.members=" + members, "--node.id=node-" + regions[i], "--node.region=" + regions[i],
          "--hostedRegions=" + regions[i], "--database.metadataDb=" + metadataDb));
    }
    TestNode enam = nodes.get("enam");
    tenant = enam.tenantId("cluster");
    token = enam.createTenant(tenant);
    awaitPlacement();
  }

  @AfterAll
  static void stop() {
    nodes.values().forEach(TestNode::close);
  }

  /** Every member of every pooled region is hosted by exactly one live node, as seen from enam. */
  private static void awaitPlacement() {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      if (unhostedMembers(nodes.get("enam")).isEmpty()) {
        return;
      }
      sleep(200);
    }
    throw new AssertionError("members without a host: " + unhostedMembers(nodes.get("enam")));
  }

  private static List<String> unhostedMembers(TestNode via) {
    JsonObject status = via.get("/v1/status").bodyAsJsonObject();
    List<String> missing = new ArrayList<>();
    for (String region : status.getJsonObject("regions").fieldNames()) {
      for (Object m : status.getJsonObject("regions").getJsonObject(region).getJsonArray("members")) {
        JsonObject member = (JsonObject) m;
        if (!"warm".equals(member.getString("state"))) {
          missing.add(member.getString("address") + "=" + member.getString("state"));
        }
      }
    }
    return missing;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JsonObject query(TestNode via, String colo) {
    HttpResponse<Buffer> response = via.send(HttpMethod.POST, "/v1/query/" + tenant, token,
        "{\"sql\": \"select 1 as one\"}", Map.of("Content-Type", "application/json", "X-Colo", colo));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonObject("compute");
  }

  @Test
  @Order(1)
  @DisplayName("a query entering enam for LHR runs on a weur member hosted by the weur node")
  void crossNodeRouting() {
    JsonObject compute = query(nodes.get("enam"), "LHR");
    assertThat(compute.getString("region")).isEqualTo("weur");
    assertThat(compute.getString("node")).isEqualTo("node-weur");
    assertThat(query(nodes.get("weur"), "NRT").getString("node")).isEqualTo("node-apac");
    assertThat(query(nodes.get("apac"), "ORD").getString("node")).isEqualTo("node-enam");
  }

  @Test
  @Order(2)
  @DisplayName("regions without a node are hosted by their fallback region's node")
  void fallbackHosting() {
    JsonObject oceania = query(nodes.get("enam"), "SYD");
    assertThat(oceania.getString("region")).isEqualTo("oc");
    assertThat(oceania.getString("node")).isEqualTo("node-apac");
    assertThat(query(nodes.get("enam"), "SEA").getString("node")).isEqualTo("node-enam");
    assertThat(query(nodes.get("apac"), "FRA").getString("node")).isEqualTo("node-weur");
  }

  @Test
  @Order(3)
  @DisplayName("/v1/status shows three nodes up and one node per member")
  void clusterStatus() {
    JsonObject status = nodes.get("weur").get("/v1/status").bodyAsJsonObject();
    JsonArray clusterNodes = status.getJsonArray("nodes");
    assertThat(clusterNodes).hasSize(3);
    clusterNodes.forEach(n -> assertThat(((JsonObject) n).getString("state")).isEqualTo("up"));
    JsonArray enamMembers = status.getJsonObject("regions").getJsonObject("enam").getJsonArray("members");
    assertThat(enamMembers).hasSize(5);
    enamMembers.forEach(m -> assertThat(((JsonObject) m).getString("node")).isEqualTo("node-enam"));
  }

  @Test
  @Order(4)
  @DisplayName("when the apac node leaves, its members move to live nodes and queries keep working")
  void rehostingAfterLeave() {
    TestNode apac = nodes.remove("apac");
    apac.close();
    long deadline = System.currentTimeMillis() + 30_000;
    List<String> missing = unhostedMembers(nodes.get("enam"));
    while (!missing.isEmpty() && System.currentTimeMillis() < deadline) {
      sleep(200);
      missing = unhostedMembers(nodes.get("enam"));
    }
    assertThat(missing).isEmpty();
    JsonObject compute = query(nodes.get("weur"), "NRT");
    assertThat(compute.getString("region")).isEqualTo("apac");
    assertThat(compute.getString("node")).isIn("node-enam", "node-weur");
    List<String> states = nodeStates(nodes.get("enam"));
    while (!states.contains("node-apac:down") && System.currentTimeMillis() < deadline) {
      sleep(100);
      states = nodeStates(nodes.get("enam"));
    }
    assertThat(states).containsExactlyInAnyOrder("node-enam:up", "node-weur:up", "node-apac:down");
  }

  private static List<String> nodeStates(TestNode via) {
    return via.get("/v1/status").bodyAsJsonObject().getJsonArray("nodes").stream()
        .map(n -> ((JsonObject) n).getString("id") + ":" + ((JsonObject) n).getString("state")).toList();
  }
}
