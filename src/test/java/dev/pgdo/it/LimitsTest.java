package dev.pgdo.it;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Limits and deadlines: timeouts cancel in PostgreSQL, results and connections stay bounded")
class LimitsTest {

  private static final int BUDGET = 6;

  private static TestNode node;
  private static String tenant;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start(
        "--limits.statementTimeoutMs=1000",
        "--limits.maxResultRows=50",
        "--limits.maxResultBytes=20000",
        "--limits.tenantConcurrency=25",
        "--compute.maxConnections=" + BUDGET,
        "--compute.connectionsPerTenant=2",
        "--compute.connectTimeoutMs=2000");
    tenant = node.tenantId("limits");
    token = node.createTenant(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String code(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error").getString("code");
  }

  private static long backendsRunning(String marker) {
    return node.superuser()
        .preparedQuery("select count(*) from pg_stat_activity where state = 'active' and query like $1")
        .execute(Tuple.of("%" + marker + "%"))
        .map(rows -> rows.iterator().next().getLong(0))
        .await();
  }

  @Test
  @DisplayName("a statement past the deadline answers 504 and is gone from pg_stat_activity")
  void statementTimeout() {
    HttpResponse<Buffer> response = node.query(tenant, token,
        new JsonObject().put("sql", "select pg_sleep(5) /* timeout-marker */"));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(504);
    assertThat(code(response)).isEqualTo("query_timeout");
    assertThat(backendsRunning("timeout-marker")).isZero();
  }

  @Test
  @DisplayName("a tenant that lifts its own statement_timeout is still cancelled by the watchdog")
  void watchdogCancelsWhenTenantDisablesTimeout() {
    HttpResponse<Buffer> response = node.query(tenant, token, new JsonObject().put("transaction", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("sql", "set local statement_timeout = 0"))
        .add(new JsonObject().put("sql", "select pg_sleep(5) /* watchdog-marker */"))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(504);
    assertThat(code(response)).isEqualTo("query_timeout");
    assertThat(backendsRunning("watchdog-marker")).isZero();
    // the cancel must not leak into the tenant's next statement on the reused connection
    assertThat(node.query(tenant, token, new JsonObject().put("sql", "select 1")).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a client that disconnects mid-query gets its statement cancelled")
  void disconnectCancels() throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions());
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(node.port)
          .setURI("/v1/query/" + tenant).putHeader("Authorization", "Bearer " + token)
          .putHeader("Content-Type", "application/json");
      var request = client.request(options).await();
      request.send(Buffer.buffer("{\"sql\": \"select pg_sleep(0.9) /* disconnect-marker */\"}"));
      long deadline = System.currentTimeMillis() + 500;
      while (backendsRunning("disconnect-marker") == 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      assertThat(backendsRunning("disconnect-marker")).as("the statement started").isEqualTo(1);
      request.connection().close().await();
      Thread.sleep(300);
      assertThat(backendsRunning("disconnect-marker")).as("cancelled well before its 0.9 s sleep ends").isZero();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("results over the row or byte limit answer 413 result_too_large, nothing partial")
  void resultLimits() {
    HttpResponse<Buffer> rows = node.query(tenant, token,
        new JsonObject().put("sql", "select g from generate_series(1, 51) g"));
    assertThat(rows.statusCode()).isEqualTo(413);
    assertThat(code(rows)).isEqualTo("result_too_large");
    assertThat(rows.bodyAsJsonObject().containsKey("rows")).isFalse();

    HttpResponse<Buffer> bytes = node.query(tenant, token,
        new JsonObject().put("sql", "select repeat('x', 1000) from generate_series(1, 30)"));
    assertThat(bytes.statusCode()).isEqualTo(413);
    assertThat(code(bytes)).isEqualTo("result_too_large");

    HttpResponse<Buffer> fits = node.query(tenant, token,
        new JsonObject().put("sql", "select g from generate_series(1, 50) g"));
    assertThat(fits.statusCode()).isEqualTo(200);
    assertThat(fits.bodyAsJsonObject().getJsonArray("rows")).hasSize(50);
  }

  @Test
  @DisplayName("200 concurrent queries over more tenants than the budget: pg_stat_activity stays within it")
  void connectionBudgetHolds() throws InterruptedException {
    List<String> tenants = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      tenants.add(node.tenantId("budget" + i));
      tokens.add(node.createTenant(tenants.get(i)));
    }
    Vertx vertx = Vertx.vertx();
    AtomicLong peak = new AtomicLong();
    try {
      WebClient http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.port), new PoolOptions().setHttp1MaxSize(200));
      List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int t = i % tenants.size();
        responses.add(http.post("/v1/query/" + tenants.get(t))
            .putHeader("Authorization", "Bearer " + tokens.get(t))
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer("{\"sql\": \"select pg_sleep(0.02)\"}")));
      }
      Future<?> all = Future.join(responses);
      while (!all.isComplete()) {
        long connections = node.superuser()
            .query("select count(*) from pg_stat_activity where usename like 't\\_%'")
            .execute().map(rows -> rows.iterator().next().getLong(0)).await();
        peak.accumulateAndGet(connections, Math::max);
        Thread.sleep(5);
      }
      Map<Integer, Long> byStatus = new java.util.TreeMap<>();
      for (Future<HttpResponse<Buffer>> response : responses) {
        assertThat(response.succeeded()).as("no request failed at the HTTP level").isTrue();
        HttpResponse<Buffer> r = response.result();
        byStatus.merge(r.statusCode(), 1L, Long::sum);
        assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 429, 503);
        if (r.statusCode() != 200) {
          assertThat(r.getHeader("Retry-After")).isNotNull();
        }
      }
      System.out.println("budget test: statuses " + byStatus + ", peak tenant connections " + peak.get());
      assertThat(byStatus.getOrDefault(200, 0L)).isPositive();
    } finally {
      vertx.close().await();
    }
    assertThat(peak.get()).isBetween(1L, (long) BUDGET);
  }

  @Test
  @DisplayName("over the per-tenant concurrency limit: 429 with Retry-After")
  void tenantConcurrency() {
    Vertx vertx = Vertx.vertx();
    try {
      WebClient http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.port), new PoolOptions().setHttp1MaxSize(40));
      List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        responses.add(http.post("/v1/query/" + tenant).putHeader("Authorization", "Bearer " + token)
            .putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer("{\"sql\": \"select pg_sleep(0.3)\"}")));
      }
      Future.join(responses).await();
      long limited = responses.stream().filter(r -> r.result().statusCode() == 429).count();
      assertThat(limited).isPositive();
      responses.stream().filter(r -> r.result().statusCode() == 429).forEach(r -> {
        assertThat(r.result().getHeader("Retry-After")).isEqualTo("1");
        assertThat(code(r.result())).isEqualTo("too_many_requests");
      });
    } finally {
      vertx.close().await();
    }
  }
}
