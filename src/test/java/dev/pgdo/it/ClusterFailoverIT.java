package dev.pgdo.it;

import dev.pgdo.bus.Addresses;
import dev.pgdo.routing.Rendezvous;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three fat-jar nodes in their own JVMs (enam twice, weur once) over real Hazelcast and one real
 * PostgreSQL: a node killed with SIGKILL under write load, and a rolling restart under read load.
 */
@DisplayName("Fail-over across JVMs: nothing acknowledged is lost, rolling restarts fail no query")
class ClusterFailoverIT {

  private static final String ADMIN = "it-admin-" + UUID.randomUUID();
  private static final long REQUEST_DEADLINE_MS = 5_000 + 5_000 + 3_000; // statement timeout + bus margin + slack

  private final List<JarNode> nodes = new ArrayList<>();
  private final AtomicBoolean loadRunning = new AtomicBoolean(true);
  private final List<Thread> load = new ArrayList<>();

  /** One step of a load thread; the thread repeats it until the test stops the load. */
  private interface LoadStep {
    void run(int thread) throws InterruptedException;
  }

  private void startLoad(String name, int threads, LoadStep step) {
    for (int t = 0; t < threads; t++) {
      int index = t;
      Thread thread = new Thread(() -> {
        try {
          while (loadRunning.get()) {
            step.run(index);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, name + "-" + t);
      load.add(thread);
      thread.start();
    }
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    loadRunning.set(false);
    for (Thread t : load) {
      t.join(20_000);
    }
    for (JarNode node : nodes) {
      if (node.alive()) {
        node.kill();
      }
    }
  }

  private void startCluster() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", UUID.randomUUID().toString().substring(0, 8)));
    String clusterName = "it-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env = Map.of(
        "PGDO_DATABASE_URL", TestDatabase.url(),
        "PGDO_ADMIN_TOKEN", ADMIN,
        "PGDO_TENANT_SECRET", "it-secret",
        "PGDO_DATABASE_METADATA_DB", "pgdo_" + clusterName.replace('-', '_'));
    Map<String, String> layout = new LinkedHashMap<>();
    layout.put("enam-a", "enam");
    layout.put("enam-b", "enam");
    layout.put("weur-a", "weur");
    List<Integer> clusterPorts = new ArrayList<>();
    layout.keySet().forEach(n -> clusterPorts.add(TestNode.freePort()));
    String members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    int i = 0;
    for (Map.Entry<String, String> e : layout.entrySet()) {
      nodes.add(new JarNode(e.getKey(), e.getValue(), TestNode.freePort(), clusterPorts.get(i++), members, clusterName,
          env, dir));
    }
    nodes.get(0).start(); // the first creates the metadata database; the others join it
    nodes.get(0).awaitReady(90_000);
    for (JarNode node : nodes.subList(1, nodes.size())) {
      node.start();
    }
    for (JarNode node : nodes) {
      node.awaitReady(90_000);
    }
    awaitAllMembersWarm(nodes.get(0), null);
  }

  /** Waits until every member is warm and, when given, none is hosted by {@code notOn}. */
  private static void awaitAllMembersWarm(JarNode via, String notOn) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    List<String> problems = List.of("never checked");
    while (System.currentTimeMillis() < deadline) {
      problems = members(via)
          .filter(m -> !"warm".equals(m.getString("state")) || (notOn != null && notOn.equals(m.getString("node"))))
          .map(m -> m.getString("address") + " " + m.getString("state") + " on " + m.getString("node"))
          .toList();
      if (problems.isEmpty()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("members not re-hosted and warm: " + problems);
  }

  private String createTenant(JarNode via, String tenant) throws Exception {
    HttpResponse<String> created = JarNode.HTTP.send(HttpRequest.newBuilder(URI.create(via.base() + "/v1/tenants/" + tenant))
        .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("token");
  }

  /** One query to one node; throws IOException when the node cannot be reached (nothing was sent). */
  private static HttpResponse<String> query(JarNode node, String tenant, String token, JsonObject body,
                                            Map<String, String> headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.base() + "/v1/query/" + tenant))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    headers.forEach(request::header);
    return JarNode.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends to the nodes in turn, skipping ones that refuse connections; null when none answered. */
  private HttpResponse<String> queryAnyNode(int start, String tenant, String token, JsonObject body,
                                            Map<String, String> headers) throws InterruptedException {
    for (int attempt = 0; attempt < nodes.size() * 2; attempt++) {
      JarNode node = nodes.get((start + attempt) % nodes.size());
      try {
        return query(node, tenant, token, body, headers);
      } catch (IOException unreachable) {
        Thread.sleep(20);
      }
    }
    return null;
  }

  /** Every member entry of the node's /v1/status. */
  private static Stream<JsonObject> members(JarNode via) throws IOException, InterruptedException {
    JsonObject regions = via.json("/v1/status").getJsonObject("regions");
    return regions.fieldNames().stream()
        .flatMap(region -> regions.getJsonObject(region).getJsonArray("members").stream())
        .map(JsonObject.class::cast);
  }

  private static JsonObject member(JarNode via, String address) throws IOException, InterruptedException {
    return members(via).filter(m -> address.equals(m.getString("address"))).findFirst()
        .orElseThrow(() -> new AssertionError("no member " + address));
  }

  private static double warmHitRate(JarNode via, String address) throws Exception {
    Double rate = member(via, address).getDouble("warmHitRate");
    return rate == null ? Double.NaN : rate;
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  @DisplayName("SIGKILL of the node hosting a busy member: acknowledged writes are all there, exactly once")
  void killUnderWriteLoad() throws Exception {
    startCluster();
    String tenant = "kill-" + UUID.randomUUID().toString().substring(0, 6);
    String token = createTenant(nodes.get(0), tenant);
    Map<String, String> ord = Map.of("X-Colo", "ORD");
    HttpResponse<String> ddl = query(nodes.get(0), tenant, token,
        new JsonObject().put("sql", "create table writes (id text primary key)"), ord);
    assertThat(ddl.statusCode()).as(ddl.body()).isEqualTo(200);

    String busy = Addresses.compute("enam", Rendezvous.winner(tenant, 5));
    String hostName = hostOf(nodes.get(0), busy);
    JarNode victim = nodes.stream().filter(n -> n.name.equals(hostName)).findFirst().orElseThrow();
    JarNode survivor = nodes.stream().filter(n -> n != victim).findFirst().orElseThrow();

    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicLong slowest = new AtomicLong();
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    AtomicLong firstAckAfterKill = new AtomicLong(Long.MAX_VALUE);
    int[] nextSeq = new int[6];
    startLoad("writer", 6, writer -> {
      int seq = nextSeq[writer]++;
      String id = "w" + writer + "-" + seq;
      Map<String, String> headers = new LinkedHashMap<>(ord);
      if (seq % 2 == 0) {
        headers.put("Idempotency-Key", id);
      }
      long start = System.currentTimeMillis();
      HttpResponse<String> response = queryAnyNode(writer + seq, tenant, token, new JsonObject()
          .put("sql", "insert into writes (id) values ($1)").put("params", new JsonArray().add(id)), headers);
      slowest.accumulateAndGet(System.currentTimeMillis() - start, Math::max);
      if (response == null) {
        failures.add(id + ": no node reachable");
      } else if (response.statusCode() == 200) {
        acknowledged.add(id);
        if (start > killedAt.get()) {
          firstAckAfterKill.accumulateAndGet(System.currentTimeMillis(), Math::min);
        }
      } else {
        failures.add(id + ": " + response.statusCode() + " " + response.body()
            + (headers.containsKey("Idempotency-Key") ? " (keyed)" : ""));
      }
    });

    Thread.sleep(3_000);
    double warmBefore = warmHitRate(survivor, busy);
    killedAt.set(System.currentTimeMillis());
    victim.kill();
    awaitAllMembersWarm(survivor, victim.name);
    long rehostedAfter = System.currentTimeMillis() - killedAt.get();
    Thread.sleep(4_000);
    loadRunning.set(false);
    for (Thread t : load) {
      t.join(30_000);
    }
    double warmAfter = warmHitRate(survivor, busy);

    HttpResponse<String> stored = query(survivor, tenant, token, new JsonObject()
        .put("sql", "select id, count(*) over (partition by id) as copies from writes"), ord);
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    Map<String, String> copies = new ConcurrentHashMap<>();
    new JsonObject(stored.body()).getJsonArray("rows").forEach(r -> {
      JsonObject row = (JsonObject) r;
      copies.put(row.getString("id"), row.getString("copies"));
    });
    System.out.printf("kill test: %d acknowledged writes, %d not acknowledged, slowest %d ms, "
            + "first write acknowledged %d ms after the kill, members re-hosted and warm %d ms after it; "
            + "warm-hit rate of %s before %.3f, after %.3f%n", acknowledged.size(), failures.size(), slowest.get(),
        firstAckAfterKill.get() - killedAt.get(), rehostedAfter, busy, warmBefore, warmAfter);
    failures.stream().limit(10).forEach(f -> System.out.println("  not acknowledged: " + f));

    assertThat(acknowledged).isNotEmpty();
    assertThat(copies.keySet()).containsAll(acknowledged);
    acknowledged.forEach(id -> assertThat(copies.get(id)).as(id).isEqualTo("1"));
    assertThat(slowest.get()).isLessThan(REQUEST_DEADLINE_MS);
    assertThat(failures).allSatisfy(f -> assertThat(f).contains("503").doesNotContain("(keyed)"));
    assertThat(firstAckAfterKill.get()).isLessThan(Long.MAX_VALUE);
  }

  private static String hostOf(JarNode via, String address) throws Exception {
    return member(via, address).getString("node");
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  @DisplayName("a rolling restart (SIGTERM, restart, each node in turn) under read load fails no query")
  void rollingRestartUnderReadLoad() throws Exception {
    startCluster();
    String tenant = "roll-" + UUID.randomUUID().toString().substring(0, 6);
    String token = createTenant(nodes.get(0), tenant);
    assertThat(query(nodes.get(0), tenant, token, new JsonObject().put("sql",
        "create table items as select g as id from generate_series(1, 100) g"), Map.of()).statusCode()).isEqualTo(200);

    AtomicLong ok = new AtomicLong();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    String[] colos = {"ORD", "LHR", "NRT", "SYD", "GRU"};
    int[] reads = new int[4];
    startLoad("reader", 4, reader -> {
      int seq = ++reads[reader];
      String colo = colos[(reader + seq) % colos.length];
      long sentAt = System.currentTimeMillis();
      HttpResponse<String> response = queryAnyNode(ThreadLocalRandom.current().nextInt(nodes.size()), tenant, token,
          new JsonObject().put("sql", "select count(*) as n from items"), Map.of("X-Colo", colo));
      if (response != null && response.statusCode() == 200) {
        ok.incrementAndGet();
      } else {
        failures.add(Instant.ofEpochMilli(sentAt) + " " + colo + " via "
            + (response == null ? "-" : response.uri().getPort()) + ": "
            + (response == null ? "no node reachable" : response.statusCode() + " " + response.body()));
      }
      Thread.sleep(5);
    });

    Thread.sleep(2_000);
    for (JarNode node : nodes) {
      System.out.println("rolling restart: stopping " + node.name + " (port " + node.httpPort + ") at " + Instant.now());
      assertThat(node.terminate()).as(node.name + " exit code").isZero();
      System.out.println("rolling restart: " + node.name + " stopped at " + Instant.now());
      node.start();
      node.awaitReady(90_000);
      awaitAllMembersWarm(node, null);
    }
    Thread.sleep(2_000);
    loadRunning.set(false);
    for (Thread t : load) {
      t.join(30_000);
    }
    System.out.printf("rolling restart: %d queries answered 200, %d failed%n", ok.get(), failures.size());
    failures.stream().limit(10).forEach(f -> System.out.println("  failed: " + f));
    assertThat(ok.get()).isPositive();
    assertThat(failures).isEmpty();
  }
}
