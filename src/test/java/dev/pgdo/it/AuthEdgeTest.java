package dev.pgdo.it;

import dev.pgdo.tenant.Secrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authentication at the edge: a wrong token and an unknown tenant cost the same time (a ratio of
 * medians, never an absolute time: the machine is shared), the failed-authentication limit per
 * client address and per tenant id (clients bind distinct loopback addresses, 127.0.0.0/8 all
 * reach the node), and concurrent creation of one tenant.
 */
@DisplayName("Authentication edge: equal work, failure limits, concurrent creation")
class AuthEdgeTest {

  private static final int LIMIT = 5;
  private static final String SELECT = new JsonObject().put("sql", "select 1 as one").encode();
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  /** A limit no test reaches: the timing and creation tests must see 401s, not 429s. */
  private static TestNode open;
  /** {@code http.authFailuresPerMinute} = {@link #LIMIT}. */
  private static TestNode limited;
  private static Vertx clients;

  @BeforeAll
  static void start() {
    open = TestNode.start("--http.authFailuresPerMinute=1000000");
    limited = TestNode.start("--http.authFailuresPerMinute=" + LIMIT);
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    for (TestNode node : new TestNode[] {open, limited}) {
      if (node != null) {
        node.close();
      }
    }
    if (clients != null) {
      clients.close().await();
    }
  }

  @Test
  @DisplayName("a wrong token of an existing tenant and any token of an unknown one: medians within noise")
  void wrongTokenAndUnknownTenantTakeTheSameTime() {
    String tenant = open.tenantId("timed");
    open.createTenant(tenant);
    String unknown = open.tenantId("nobody");
    String wrong = Secrets.newToken(); // the shape of a real token, so both paths hash the same bytes
    for (int i = 0; i < 200; i++) { // warm-up: JIT, caches, connections
      timed(tenant, wrong);
      timed(unknown, wrong);
    }
    int samples = 400;
    long[] existing = new long[samples];
    long[] absent = new long[samples];
    for (int i = 0; i < samples; i++) {
      // interleaved, alternating which goes first, so drift and load hit both alike
      if (i % 2 == 0) {
        existing[i] = timed(tenant, wrong);
        absent[i] = timed(unknown, wrong);
      } else {
        absent[i] = timed(unknown, wrong);
        existing[i] = timed(tenant, wrong);
      }
    }
    double ratio = (double) median(existing) / median(absent);
    System.out.printf("wrong token median %.3f ms, unknown tenant median %.3f ms, ratio %.3f%n",
        median(existing) / 1e6, median(absent) / 1e6, ratio);
    assertThat(ratio).isBetween(0.5, 2.0);
  }

  /** Nanoseconds of one query with {@code token}, which must answer 401. */
  private static long timed(String tenant, String token) {
    long start = System.nanoTime();
    HttpResponse<Buffer> response = open.send(HttpMethod.POST, "/v1/query/" + tenant, token, SELECT, JSON);
    long took = System.nanoTime() - start;
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(401);
    return took;
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  @Test
  @DisplayName("per client address: past the limit a wrong token answers 429 with Retry-After; a correct one 200")
  void limitPerClientAddress() {
    String tenant = limited.tenantId("addr");
    String token = limited.createTenant(tenant);
    awaitFreshWindow();
    WebClient attacker = client("127.0.0.2");
    for (int i = 1; i <= LIMIT; i++) {
      // a different unknown id each time, so only the address's count reaches the limit
      assertThat(query(attacker, limited.tenantId("ghost" + i), "wrong").statusCode()).isEqualTo(401);
    }
    assertTooMany(query(attacker, limited.tenantId("ghost-last"), "wrong"));
    assertTooMany(query(attacker, tenant, "wrong"));
    // the Neon dialect authenticates through the same code, so it is limited too
    HttpResponse<Buffer> neon = attacker.post(limited.port, "127.0.0.1", "/sql")
        .putHeader("Neon-Connection-String", "postgresql://" + tenant + ":wrong@127.0.0.1/" + tenant)
        .sendBuffer(Buffer.buffer(new JsonObject().put("query", "select 1").put("params", List.of()).encode()))
        .await();
    assertThat(neon.statusCode()).as(neon.bodyAsString()).isEqualTo(429);
    assertThat(neon.getHeader("Retry-After")).isNotNull();
    // the correct token from the same, limited, address is neither slowed nor refused
    HttpResponse<Buffer> correct = query(attacker, tenant, token);
    assertThat(correct.statusCode()).as(correct.bodyAsString()).isEqualTo(200);
    // another address is not affected
    assertThat(query(client("127.0.0.3"), limited.tenantId("ghost-other"), "wrong").statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("per tenant id: failures from many addresses reach the limit; its correct token still answers 200")
  void limitPerTenantId() {
    String tenant = limited.tenantId("target");
    String token = limited.createTenant(tenant);
    String unknown = limited.tenantId("absent");
    awaitFreshWindow();
    for (int i = 1; i <= LIMIT; i++) {
      // each address fails once only: only the tenant id's count reaches the limit
      assertThat(query(client("127.0.2." + i), tenant, "wrong").statusCode()).isEqualTo(401);
      assertThat(query(client("127.0.3." + i), unknown, "wrong").statusCode()).isEqualTo(401);
    }
    assertTooMany(query(client("127.0.2.100"), tenant, "wrong"));
    // an unknown id is counted the same way: 429 does not reveal which ids exist
    assertTooMany(query(client("127.0.3.100"), unknown, "wrong"));
    HttpResponse<Buffer> correct = query(client("127.0.2.101"), tenant, token);
    assertThat(correct.statusCode()).as(correct.bodyAsString()).isEqualTo(200);
    assertThat(query(client("127.0.2.1"), tenant, token).statusCode()).isEqualTo(200);
    // another tenant id from a fresh address is not affected
    assertThat(query(client("127.0.2.102"), limited.tenantId("bystander"), "wrong").statusCode())
        .isEqualTo(401);
  }

  @Test
  @DisplayName("20 concurrent PUTs of one new tenant: one 201, nineteen 409; then 20 DELETEs: one 204")
  void concurrentCreationOfOneTenant() {
    String tenant = open.tenantId("race");
    WebClient admin = client("127.0.0.1");
    List<Future<HttpResponse<Buffer>>> puts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      puts.add(admin.put(open.port, "127.0.0.1", "/v1/tenants/" + tenant)
          .putHeader("Authorization", "Bearer " + TestNode.ADMIN_TOKEN).send());
    }
    Map<Integer, Integer> statuses = statuses(puts);
    System.out.println("20 concurrent PUTs answered " + statuses);
    assertThat(statuses).containsOnlyKeys(201, 409).containsEntry(201, 1).containsEntry(409, 19);
    String token = null;
    for (Future<HttpResponse<Buffer>> put : puts) {
      JsonObject body = put.result().bodyAsJsonObject();
      if (put.result().statusCode() == 201) {
        token = body.getString("token");
      } else {
        assertThat(body.getJsonObject("error").getString("code")).isEqualTo("tenant_exists");
      }
    }
    assertThat(open.query(tenant, token, new JsonObject().put("sql", "select 1")).statusCode()).isEqualTo(200);

    List<Future<HttpResponse<Buffer>>> deletes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      deletes.add(admin.delete(open.port, "127.0.0.1", "/v1/tenants/" + tenant)
          .putHeader("Authorization", "Bearer " + TestNode.ADMIN_TOKEN).send());
    }
    Map<Integer, Integer> deleted = statuses(deletes);
    System.out.println("20 concurrent DELETEs answered " + deleted);
    assertThat(deleted).containsOnlyKeys(204, 404).containsEntry(204, 1).containsEntry(404, 19);
  }

  @Test
  @DisplayName("an admin call waiting past the bound for the tenant's lock answers 503 with Retry-After")
  void adminCallWaitingTooLongAnswers503() {
    String tenant = open.tenantId("held");
    // hold the tenant's advisory lock from another session of the node's metadata database
    PgConnectOptions metadata = PgConnectOptions.fromUri(TestDatabase.url())
        .setDatabase(open.node.config().database().metadataDb());
    Pool outside = PgBuilder.pool().connectingTo(metadata).using(clients).build();
    try {
      SqlConnection holder = outside.getConnection().await();
      holder.preparedQuery("SELECT pg_advisory_lock(hashtextextended($1, 0))").execute(Tuple.of(tenant)).await();
      long start = System.nanoTime();
      HttpResponse<Buffer> waited = open.send(HttpMethod.PUT, "/v1/tenants/" + tenant, TestNode.ADMIN_TOKEN, null, null);
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      System.out.println("PUT behind a held tenant lock answered " + waited.statusCode() + " after " + waitedMs + " ms");
      assertThat(waited.statusCode()).as(waited.bodyAsString()).isEqualTo(503);
      assertThat(waited.getHeader("Retry-After")).isNotNull();
      assertThat(waited.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("no_compute");
      assertThat(waitedMs).as("it waited for the lock before answering").isGreaterThanOrEqualTo(4_000);
      holder.preparedQuery("SELECT pg_advisory_unlock(hashtextextended($1, 0))").execute(Tuple.of(tenant)).await();
      holder.close().await(); // back to the pool: the session, and a lock it still held, would live on
      // the lock is free again: the same call now succeeds
      assertThat(open.send(HttpMethod.PUT, "/v1/tenants/" + tenant, TestNode.ADMIN_TOKEN, null, null).statusCode())
          .isEqualTo(201);
    } finally {
      outside.close().await();
    }
  }

  private static Map<Integer, Integer> statuses(List<Future<HttpResponse<Buffer>>> calls) {
    Future.join(calls).await();
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (Future<HttpResponse<Buffer>> call : calls) {
      statuses.merge(call.result().statusCode(), 1, Integer::sum);
    }
    return statuses;
  }

  private static void assertTooMany(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(429);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("too_many_requests");
    assertThat(Integer.parseInt(response.getHeader("Retry-After"))).isBetween(1, 60);
  }

  private static HttpResponse<Buffer> query(WebClient client, String tenant, String token) {
    return client.post(limited.port, "127.0.0.1", "/v1/query/" + tenant)
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(SELECT))
        .await();
  }

  /** A client whose connections come from {@code localAddress}. */
  private static WebClient client(String localAddress) {
    return WebClient.create(clients, new WebClientOptions().setLocalAddress(localAddress));
  }

  /**
   * The limit counts in fixed one-minute windows of the node's clock (this JVM's): a test that
   * must see its counts together starts with at least 10 s of its window left.
   */
  private static void awaitFreshWindow() {
    long intoWindow = System.currentTimeMillis() % 60_000;
    if (intoWindow > 50_000) {
      try {
        Thread.sleep(60_000 - intoWindow + 100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
