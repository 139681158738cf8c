package dev.pgdo.it;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 8 item 5: a result over the byte cap stops early. The wire tap counts DataRow bytes from
 * the message headers, drops the rows past the cap unread, cancels the statement and, if
 * PostgreSQL keeps sending, closes the connection; the node never holds the result, so another
 * tenant's latency stays where it was (compared as a ratio of medians, never an absolute time).
 */
@DisplayName("A result over the byte cap stops early and does not slow other tenants")
class ResultCapTest {

  private static final int CAP = 1 << 20;
  /**
   * Median latency during the attack over the median before it: generous, for a shared 2-core box
   * (CI measured 3.2 with three loops). A node that buffered and encoded 100 MB answers would
   * stall its event loop for hundreds of milliseconds per answer and land far above it.
   */
  private static final double RATIO_BOUND = 5.0;

  private static TestNode node;
  private static String attacker;
  private static String attackerToken;
  private static String victim;
  private static String victimToken;

  @BeforeAll
  static void start() {
    node = TestNode.start("--limits.maxResultBytes=" + CAP, "--limits.statementTimeoutMs=20000");
    attacker = node.tenantId("huge");
    attackerToken = node.createTenant(attacker);
    victim = node.tenantId("calm");
    victimToken = node.createTenant(victim);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<Buffer> attack(String sql) {
    return node.query(attacker, attackerToken, new JsonObject().put("sql", sql));
  }

  @Test
  @DisplayName("one 200 MB value and a 1 GB result answer 413 result_too_large; the session stays usable")
  void hugeResultsRefused() {
    for (String sql : List.of("select repeat('x', 200000000)",
        "select repeat('y', 1000) from generate_series(1, 1000000)")) {
      HttpResponse<Buffer> response = attack(sql);
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(413);
      assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("result_too_large");
    }
    HttpResponse<Buffer> after = attack("select 1 as one");
    assertThat(after.statusCode()).isEqualTo(200);
    // just under the cap still answers
    HttpResponse<Buffer> under = attack("select repeat('z', " + (CAP / 2) + ") as v");
    assertThat(under.statusCode()).isEqualTo(200);
    assertThat(under.bodyAsJsonObject().getJsonArray("rows").getJsonObject(0).getString("v")).hasSize(CAP / 2);
  }

  @Test
  @DisplayName("while huge results are refused in a loop, another tenant's median latency stays within 5x")
  void otherTenantUnaffected() {
    JsonObject point = new JsonObject().put("sql", "select 1 as one");
    for (int i = 0; i < 20; i++) {
      node.query(victim, victimToken, point); // warm
    }
    double before = medianMs(() -> node.query(victim, victimToken, point));

    Vertx vertx = Vertx.vertx();
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    List<Future<Void>> loops = new ArrayList<>();
    // Two loops, not one per core: PostgreSQL building each 100 MB value takes a core, and the
    // test is about the node (which never holds the result), not about the CPU the box has left.
    for (int i = 0; i < 2; i++) {
      loops.add(attackLoop(client, running, refused, other));
    }
    try {
      double during = medianMs(() -> node.query(victim, victimToken, point));
      assertThat(during / before).as("median %.2f ms before, %.2f ms during", before, during).isLessThan(RATIO_BOUND);
    } finally {
      running.set(false);
      Future.join(loops).await();
      vertx.close().await();
    }
    assertThat(refused.get()).isGreaterThan(0);
    assertThat(other.get()).as("answers other than 413").isZero();
  }

  private static Future<Void> attackLoop(WebClient client, AtomicBoolean running, AtomicInteger refused,
                                         AtomicInteger other) {
    if (!running.get()) {
      return Future.succeededFuture();
    }
    return client.post("/v1/query/" + attacker)
        .putHeader("Authorization", "Bearer " + attackerToken)
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(new JsonObject().put("sql", "select repeat('x', 100000000)").encode()))
        .compose(response -> {
          (response.statusCode() == 413 ? refused : other).incrementAndGet();
          return attackLoop(client, running, refused, other);
        });
  }

  private static double medianMs(Runnable query) {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < 41; i++) {
      long start = System.nanoTime();
      query.run();
      times.add((System.nanoTime() - start) / 1e6);
    }
    Collections.sort(times);
    return times.get(times.size() / 2);
  }
}
