package dev.pgdo.it;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Session-level state a request leaves on its pooled connection (advisory locks, holdable
 * cursors) is reset: at once when the request names them, at the next keep-warm round when it
 * hides them in a function. Checked from PostgreSQL's own catalogs.
 */
@DisplayName("Session-level advisory locks and cursors do not outlive their request")
class SessionResetTest {

  /** Short, so that the round that resets hidden leftovers comes within the test. */
  private static final long KEEP_WARM_MS = 1_000;

  private static TestNode node;
  private static String tenant;
  private static String token;
  private static String role;

  @BeforeAll
  static void start() {
    node = TestNode.start("--keepWarm.intervalMs=" + KEEP_WARM_MS);
    tenant = node.tenantId("reset");
    token = node.createTenant(tenant);
    role = node.database(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static void ok(String sql) {
    var response = node.query(tenant, token, new JsonObject().put("sql", sql));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }

  private static long advisoryLocksHeld() {
    return node.superuser().preparedQuery("select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid "
            + "where l.locktype = 'advisory' and a.usename = $1")
        .execute(Tuple.of(role)).await().iterator().next().getLong(0);
  }

  /** Polls until no advisory lock of the tenant is left; answers how long that took. */
  private static long millisUntilReleased(long withinMs) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + withinMs * 1_000_000;
    while (advisoryLocksHeld() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(advisoryLocksHeld()).as("advisory locks of the tenant still held").isZero();
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  @DisplayName("a session advisory lock taken by name is released as the request ends")
  void namedLockReleasedAtOnce() throws InterruptedException {
    ok("select pg_advisory_lock(4242)");
    long ms = millisUntilReleased(KEEP_WARM_MS / 2); // well before any keep-warm round could
    assertThat(ms).isLessThan(KEEP_WARM_MS / 2);
  }

  @Test
  @DisplayName("a lock hidden in a function is released by the next keep-warm round at the latest")
  void hiddenLockReleasedByKeepWarm() throws InterruptedException {
    ok("create or replace function take_mutex() returns void language sql as "
        + "$$ select pg_catalog.pg_advisory_lock(777) $$");
    ok("select take_mutex()");
    millisUntilReleased(3 * KEEP_WARM_MS);
  }

  @Test
  @DisplayName("a WITH HOLD cursor does not survive its request")
  void holdableCursorClosed() {
    ok("declare leftover cursor with hold for select 1");
    // every later request of the tenant, on whichever of its connections, sees no such cursor
    for (int i = 0; i < 5; i++) {
      var response = node.query(tenant, token, new JsonObject().put("sql", "select count(*) as n from pg_cursors where name = 'leftover'"));
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.bodyAsJsonObject().getJsonArray("rows").getJsonObject(0).getValue("n")).isEqualTo("0");
    }
  }
}
