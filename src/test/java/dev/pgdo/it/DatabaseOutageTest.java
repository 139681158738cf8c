package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's postmaster stops under a running node: tenant queries that need a connection,
 * token lookups and admin calls answer 503 {@code no_compute} with {@code Retry-After} (never
 * 500), cached credentials still answer 401 alike for a wrong token and an unknown tenant, and
 * the node recovers once PostgreSQL is back. The node runs on its own throwaway PostgreSQL: the
 * shared {@link TestDatabase} serves the other tests of this JVM and is never stopped.
 */
@DisplayName("PostgreSQL stopped under a node: 503 with Retry-After everywhere, then recovery")
class DatabaseOutageTest {

  private static final JsonObject SELECT = new JsonObject().put("sql", "select 1 as one");
  /** Tenants created from this colo have no connection in the default region, where the queries go. */
  private static final String NO_CONNECTION_HERE = "NRT";

  private static ThrowawayPostgres postgres;
  private static TestNode node;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(ThrowawayPostgres.available(), "needs the machine's PostgreSQL binaries");
    postgres = ThrowawayPostgres.start(Path.of("target", "test-pg-outage", UUID.randomUUID().toString().substring(0, 8))
        .toAbsolutePath());
    node = TestNode.start("--database.url=" + postgres.url(), "--compute.connectTimeoutMs=2000");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  @DisplayName("a hung postmaster (SIGSTOP): a query needing a new connection answers 503 at the pool's timeout")
  void hungPostmasterAnswers503() throws InterruptedException {
    String tenant = node.tenantId("hung");
    String token = node.createTenant(tenant, NO_CONNECTION_HERE);
    assertThat(node.query(tenant, "wrong", SELECT).statusCode()).isEqualTo(401); // caches the credential only
    postgres.pause();
    try {
      long start = System.nanoTime();
      HttpResponse<Buffer> needsConnection = node.query(tenant, token, SELECT);
      System.out.printf("query needing a new connection while the postmaster hangs: %d after %d ms%n",
          needsConnection.statusCode(), (System.nanoTime() - start) / 1_000_000);
      assertUnavailable(needsConnection);
    } finally {
      postgres.resume();
    }
    assertThat(eventually(() -> node.query(tenant, token, SELECT)).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a stopped postmaster: queries, token lookups and admin calls answer 503; then the node recovers")
  void outageAnswers503AndTheNodeRecovers() throws InterruptedException {
    String warm = node.tenantId("warm");
    String warmToken = node.createTenant(warm);
    String cold = node.tenantId("cold");
    String coldToken = node.createTenant(cold, NO_CONNECTION_HERE);
    String unknown = node.tenantId("unknown");
    assertThat(node.query(warm, warmToken, SELECT).statusCode()).isEqualTo(200);
    // cache both credentials without opening a connection for the cold tenant
    assertThat(node.query(cold, "wrong", SELECT).statusCode()).isEqualTo(401);
    assertThat(node.query(unknown, "wrong", SELECT).statusCode()).isEqualTo(401);

    postgres.stop();
    try {
      Thread.sleep(2_500); // past the 2 s an unknown tenant used to be remembered

      // cached alike: a wrong token and an unknown tenant answer the same while the registry is down
      assertThat(node.query(cold, "wrong", SELECT).statusCode()).isEqualTo(401);
      assertThat(node.query(unknown, "wrong", SELECT).statusCode()).isEqualTo(401);

      long start = System.nanoTime();
      HttpResponse<Buffer> needsConnection = node.query(cold, coldToken, SELECT);
      System.out.printf("query needing a new connection while PostgreSQL is down: %d after %d ms%n",
          needsConnection.statusCode(), (System.nanoTime() - start) / 1_000_000);
      assertUnavailable(needsConnection);
      assertUnavailable(node.query(warm, warmToken, SELECT)); // its connection was ended by the shutdown
      assertUnavailable(node.query(node.tenantId("never-seen"), "any", SELECT)); // the token lookup itself
      assertUnavailable(node.send(HttpMethod.PUT, "/v1/tenants/" + node.tenantId("new"), TestNode.ADMIN_TOKEN,
          null, null));
      assertUnavailable(node.send(HttpMethod.GET, "/v1/tenants/" + warm, TestNode.ADMIN_TOKEN, null, null));
    } finally {
      postgres.startAgain();
    }
    assertThat(eventually(() -> node.query(cold, coldToken, SELECT)).statusCode()).isEqualTo(200);
    assertThat(eventually(() -> node.query(warm, warmToken, SELECT)).statusCode()).isEqualTo(200);
    assertThat(node.send(HttpMethod.PUT, "/v1/tenants/" + node.tenantId("new"), TestNode.ADMIN_TOKEN, null, null)
        .statusCode()).isEqualTo(201);
  }

  private static void assertUnavailable(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(503);
    assertThat(response.getHeader("Retry-After")).isNotNull();
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("no_compute");
    assertThat(error.getString("message")).doesNotContain("Exception").doesNotContain("\tat ");
  }

  /** The first answer that is not a 503, within 30 s. */
  private static HttpResponse<Buffer> eventually(Supplier<HttpResponse<Buffer>> call) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    HttpResponse<Buffer> response = call.get();
    while (response.statusCode() == 503 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      response = call.get();
    }
    return response;
  }
}
