package dev.pgdo.it;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 8: one tenant cannot hurt another through what one PostgreSQL server shares. For each
 * guard, tenant A attacks while a probe keeps running tenant B's queries (a point select and an
 * insert on B's own tables) and the admin API (describe B; create a tenant): every probe answer
 * must be a success (no 53200, no 500), and the probe's median latency during the attack is
 * compared, as a ratio, with the same probe measured just before it (a generous bound: the box
 * is a noisy shared 2-core machine; never an absolute time). The attacker gets the documented
 * error. The node runs with small limits so the attacks are quick.
 */
@DisplayName("Resource isolation: lock table, memory and temp files, disk, connections and result bytes")
class ResourceIsolationTest {

  /** Median latency during an attack over the median before it: generous, for a shared 2-core box. */
  private static final double RATIO_BOUND = 5.0;
  private static final int MAX_LOCKS = 400;
  private static final int PENALTY_MS = 1500;
  private static final int TEMP_FILE_LIMIT_MB = 32;
  private static final int RESULT_CAP = 1 << 20;
  private static final int BUDGET = 8;
  private static final int PER_TENANT = 3;

  private static TestNode node;
  private static String calm;
  private static String calmToken;
  private static final AtomicInteger created = new AtomicInteger();

  @BeforeAll
  static void start() {
    node = TestNode.start(
        "--limits.maxLocksPerTenant=" + MAX_LOCKS,
        "--limits.lockCheckIntervalMs=100",
        "--limits.lockPenaltyMs=" + PENALTY_MS,
        "--limits.tempFileLimitMb=" + TEMP_FILE_LIMIT_MB,
        "--limits.quotaCheckIntervalMs=500",
        "--limits.maxResultBytes=" + RESULT_CAP,
        "--limits.statementTimeoutMs=15000",
        "--compute.maxConnections=" + BUDGET,
        "--compute.connectionsPerTenant=" + PER_TENANT,
        "--compute.connectTimeoutMs=4000");
    calm = node.tenantId("calm");
    calmToken = node.createTenant(calm);
    ok(node.query(calm, calmToken, sql("create table calm_t (id int primary key, v text)")));
    ok(node.query(calm, calmToken, sql("insert into calm_t select g, 'v' || g from generate_series(1, 100) g")));
    ok(node.query(calm, calmToken, sql("create table calm_log (n int)")));
    Probe.measure(30); // warm-up: JIT, statement caches, B's warm connection
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  // ------------------------------------------------------------------ (a) the lock table

  @Test
  @DisplayName("lock flood: A's session and transaction locks are ended with resource_limit; B and the admin API keep answering")
  void lockFlood() throws InterruptedException {
    String attacker = node.tenantId("locks");
    String token = node.createTenant(attacker);
    Probe before = Probe.measure(20);
    Probe during = Probe.start();
    List<String> answers = new ArrayList<>();
    try {
      for (int round = 0; round < 2; round++) {
        // Session-level locks, as fast as one statement can take them: 19,200 entries (the test
        // server's lock table) take a few tens of ms, so the statement may run the table out
        // before the guard's next sample; it then fails itself (53200) and its locks go at once.
        // (400,000 rows: generate_series's tuplestore stays under temp_file_limit.)
        answers.add(fastFlood(attacker, token, "select count(pg_advisory_lock(g)) from generate_series(1, 400000) g"));
        answers.add(fastFlood(attacker, token,
            "do $$ begin for i in 1..5000000 loop perform pg_advisory_lock(i); end loop; end $$"));
        // Transaction-scoped locks, taken slowly inside one long statement (a session reset alone
        // would not release them before the statement ends): the guard ends it.
        answers.add(expectLockLimit(node.query(attacker, token, sql("""
            do $$ begin
              for i in 1..200000 loop
                perform pg_advisory_xact_lock(i);
                if i % 200 = 0 then perform pg_sleep(0.02); end if;
              end loop;
            end $$"""))));
        HttpResponse<Buffer> penalised = node.query(attacker, token, sql("select 1"));
        assertThat(penalised.statusCode()).as(penalised.bodyAsString()).isEqualTo(429);
        assertThat(code(penalised)).isEqualTo("resource_limit");
        assertThat(penalised.getHeader("Retry-After")).isNotNull();
        awaitPenaltyOver(attacker, token);
      }
    } finally {
      during.stop();
    }
    System.out.println("lock flood: attacker answered " + answers);
    during.assertHealthy(before, "lock flood");
    assertThat(heldLocks(node.database(attacker))).as("A's locks are gone").isZero();
  }

  @Test
  @DisplayName("session leftovers (advisory locks, WITH HOLD cursors) do not outlive the request")
  void sessionLeftoversReset() throws InterruptedException {
    String tenant = node.tenantId("leftover");
    String token = node.createTenant(tenant);
    String role = node.database(tenant);
    ok(node.query(tenant, token, sql("select pg_advisory_lock(42)")));
    ok(node.query(tenant, token, sql("declare c cursor with hold for select g from generate_series(1, 10) g")));
    long deadline = System.currentTimeMillis() + 2000;
    while (heldAdvisoryLocks(role) > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20); // the reset is sent right after the answer
    }
    assertThat(heldAdvisoryLocks(role)).as("advisory locks held by A after its requests").isZero();
    HttpResponse<Buffer> fetch = node.query(tenant, token, sql("fetch 1 from c"));
    assertThat(fetch.statusCode()).as(fetch.bodyAsString()).isEqualTo(400);
    assertThat(sqlState(fetch)).isEqualTo("34000"); // invalid_cursor_name: closed by the reset
  }

  /**
   * A flood faster than the guard's sampling: ended by the guard ({@code resource_limit}), or
   * failed by PostgreSQL itself when it ran the table out first ({@code sql_error} 53200); either
   * way the tenant holds no lock a moment later.
   */
  private static String fastFlood(String attacker, String token, String flood) throws InterruptedException {
    HttpResponse<Buffer> response = node.query(attacker, token, sql(flood));
    String answer;
    if (response.statusCode() == 429) {
      answer = expectLockLimit(response);
    } else {
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
      assertThat(sqlState(response)).isEqualTo("53200");
      answer = "sql_error 53200";
    }
    String role = node.database(attacker);
    long deadline = System.currentTimeMillis() + 2000;
    while (heldLocks(role) > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(heldLocks(role)).as("locks A holds after its flood").isZero();
    awaitPenaltyOver(attacker, token);
    return answer;
  }

  private static String expectLockLimit(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(429);
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("resource_limit");
    assertThat(error.getString("resource")).isEqualTo("locks");
    assertThat(response.getHeader("Retry-After")).isNotNull();
    return error.getString("code");
  }

  private static void awaitPenaltyOver(String tenant, String token) throws InterruptedException {
    long deadline = System.currentTimeMillis() + PENALTY_MS + 5000;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<Buffer> response = node.query(tenant, token, sql("select 1"));
      if (response.statusCode() == 200) {
        return;
      }
      assertThat(code(response)).as(response.bodyAsString()).isIn("resource_limit", "no_compute");
      Thread.sleep(100);
    }
    throw new AssertionError("the lock penalty did not end");
  }

  private static long heldLocks(String role) {
    return node.superuser().preparedQuery("select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        + "where a.usename = $1").execute(Tuple.of(role)).map(rows -> rows.iterator().next().getLong(0)).await();
  }

  private static long heldAdvisoryLocks(String role) {
    return node.superuser().preparedQuery("select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        + "where a.usename = $1 and l.locktype = 'advisory'").execute(Tuple.of(role))
        .map(rows -> rows.iterator().next().getLong(0)).await();
  }

  // ------------------------------------------------------------------ (b) memory settings and temp files

  @Test
  @DisplayName("work_mem: a raised value does not outlive its request, nor do role/database defaults apply; temp files are capped")
  void memoryAndTempFiles() throws InterruptedException {
    String attacker = node.tenantId("memory");
    String token = node.createTenant(attacker);
    String role = node.database(attacker);
    ok(node.query(attacker, token, sql("set work_mem = '64GB'")));
    ok(node.query(attacker, token, sql("set hash_mem_multiplier = 1000")));
    assertThat(show(attacker, token, "work_mem")).as("the next request's work_mem").isEqualTo("4MB");
    assertThat(show(attacker, token, "hash_mem_multiplier")).isEqualTo("2");
    // PostgreSQL lets a role raise its own and its database's defaults: the connection's startup values outrank them
    ok(node.query(attacker, token, sql("alter role current_user set work_mem = '64GB'")));
    ok(node.query(attacker, token, sql("alter role current_user set maintenance_work_mem = '64GB'")));
    node.superuser().preparedQuery("select pg_terminate_backend(pid) from pg_stat_activity where usename = $1")
        .execute(Tuple.of(role)).await();
    assertThat(showOnFreshConnection(attacker, token, "work_mem")).isEqualTo("4MB");
    assertThat(show(attacker, token, "maintenance_work_mem")).isEqualTo("64MB");

    // temp_file_limit is superuser-only: set on the role, the tenant cannot lift it
    HttpResponse<Buffer> lift = node.query(attacker, token, sql("set temp_file_limit = -1"));
    assertThat(lift.statusCode()).as(lift.bodyAsString()).isEqualTo(400);
    assertThat(sqlState(lift)).isEqualTo("42501");
    HttpResponse<Buffer> liftRole = node.query(attacker, token, sql("alter role current_user reset temp_file_limit"));
    assertThat(liftRole.statusCode()).as(liftRole.bodyAsString()).isEqualTo(400);

    Probe before = Probe.measure(20);
    Probe during = Probe.start();
    List<String> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        // a sort of 5M rows spills far past 32 MB of temp files at the pinned work_mem
        HttpResponse<Buffer> sort = node.query(attacker, token,
            sql("select sum(x) from (select g as x from generate_series(1, 5000000) g order by g desc) s"));
        assertThat(sort.statusCode()).as(sort.bodyAsString()).isEqualTo(400);
        assertThat(sqlState(sort)).isEqualTo("53400");
        assertThat(sort.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("temp_file_limit");
        answers.add(code(sort) + " " + sqlState(sort));
      }
    } finally {
      during.stop();
    }
    System.out.println("temp files: attacker answered " + answers);
    during.assertHealthy(before, "temp-file sorts");
  }

  private static String show(String tenant, String token, String setting) {
    HttpResponse<Buffer> response = node.query(tenant, token, sql("show " + setting));
    ok(response);
    return response.bodyAsJsonObject().getJsonArray("rows").getJsonObject(0).getString(setting);
  }

  /**
   * The tenant's backends were terminated: each pooled connection answers once that it was lost
   * (503), then the pool connects afresh. Waits for three answers in a row on fresh connections.
   */
  private static String showOnFreshConnection(String tenant, String token, String setting) throws InterruptedException {
    int inARow = 0;
    for (int attempt = 0; attempt < 40 && inARow < 3; attempt++) {
      HttpResponse<Buffer> response = node.query(tenant, token, sql("select 1"));
      if (response.statusCode() == 200) {
        inARow++;
      } else {
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(503);
        inARow = 0;
        Thread.sleep(50);
      }
    }
    assertThat(inARow).as("answers on fresh connections").isEqualTo(3);
    return show(tenant, token, setting);
  }

  // ------------------------------------------------------------------ (c) disk quota

  @Test
  @DisplayName("disk quota: over it, writes answer resource_limit while reads and TRUNCATE work; back under, writes work again")
  void diskQuota() throws InterruptedException {
    String attacker = node.tenantId("disk");
    String token = node.createTenant(attacker);
    ok(node.query(attacker, token, sql("create table big (id int, pad text)")));
    ok(node.query(attacker, token, sql("create function grow() returns int language plpgsql as "
        + "$$ begin insert into big select g, repeat('y', 1000) from generate_series(1, 100) g; return 1; end $$")));
    JsonObject described = describe(attacker);
    assertThat(described.getLong("sizeBytes")).isPositive();
    assertThat(described.getString("quota")).isEqualTo("default");
    long quota = described.getLong("sizeBytes") + 3_000_000;
    HttpResponse<Buffer> set = node.send(HttpMethod.PUT, "/v1/tenants/" + attacker + "/quota", TestNode.ADMIN_TOKEN,
        new JsonObject().put("maxBytes", quota).encode(), Map.of("Content-Type", "application/json"));
    assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(200);
    assertThat(set.bodyAsJsonObject().getLong("maxBytes")).isEqualTo(quota);
    assertThat(set.bodyAsJsonObject().getString("quota")).isEqualTo("tenant");

    // writing costs I/O every tenant shares (README): the probe measures the refusals, not the writes
    String write = "insert into big select g, repeat('x', 1000) from generate_series(1, 2000) g";
    Probe before = Probe.measure(20);
    Probe during = null;
    try {
      HttpResponse<Buffer> refused = null;
      long deadline = System.currentTimeMillis() + 15_000;
      while (System.currentTimeMillis() < deadline) {
        HttpResponse<Buffer> response = node.query(attacker, token, sql(write));
        if (response.statusCode() != 200) {
          refused = response;
          break;
        }
      }
      assertThat(refused).as("a write past the quota is refused").isNotNull();
      during = Probe.start();
      // A keeps trying to grow for 3 s: each try is refused without reaching PostgreSQL
      long tryUntil = System.currentTimeMillis() + 3000;
      while (System.currentTimeMillis() < tryUntil) {
        assertThat(code(node.query(attacker, token, sql(write)))).isEqualTo("resource_limit");
      }
      assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(429);
      assertThat(code(refused)).isEqualTo("resource_limit");
      assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("resource")).isEqualTo("disk");
      System.out.println("disk quota: refused with " + refused.bodyAsString());
      JsonObject over = describe(attacker);
      assertThat(over.getLong("sizeBytes")).isGreaterThan(quota);
      assertThat(over.getLong("maxBytes")).isEqualTo(quota);
      JsonObject storage = node.get("/v1/status").bodyAsJsonObject().getJsonObject("tenantStorage");
      assertThat(storage.getLong("tenantsOverQuota")).isPositive();
      assertThat(storage.getLong("tenantBytes")).isGreaterThanOrEqualTo(over.getLong("sizeBytes"));
      assertThat(node.get("/metrics").bodyAsString()).containsPattern("(?m)^pgdo_tenants_over_quota\\S* [1-9]");

      // over quota: reads work; DDL, SELECT ... INTO and a SELECT of a writing function do not grow it
      ok(node.query(attacker, token, sql("select count(*) from big")));
      assertThat(code(node.query(attacker, token, sql("create table more (x int)")))).isEqualTo("resource_limit");
      assertThat(code(node.query(attacker, token, sql("select * into copy_of_big from big")))).isEqualTo("resource_limit");
      HttpResponse<Buffer> viaFunction = node.query(attacker, token, sql("select grow()"));
      assertThat(viaFunction.statusCode()).as(viaFunction.bodyAsString()).isEqualTo(400);
      assertThat(sqlState(viaFunction)).isEqualTo("25006"); // read_only_sql_transaction

      // freeing space needs no admin step
      ok(node.query(attacker, token, sql("truncate big")));
      HttpResponse<Buffer> again = null;
      deadline = System.currentTimeMillis() + 10_000;
      while (System.currentTimeMillis() < deadline) {
        again = node.query(attacker, token, sql("insert into big values (1, 'back under')"));
        if (again.statusCode() == 200) {
          break;
        }
        assertThat(code(again)).isEqualTo("resource_limit");
        Thread.sleep(100);
      }
      assertThat(again.statusCode()).as("a write once back under the quota: " + again.bodyAsString()).isEqualTo(200);
      assertThat(describe(attacker).getLong("sizeBytes")).isLessThan(quota);
    } finally {
      if (during != null) {
        during.stop();
      }
    }
    during.assertHealthy(before, "disk quota");
  }

  private static JsonObject describe(String tenant) {
    HttpResponse<Buffer> response = node.send(HttpMethod.GET, "/v1/tenants/" + tenant, TestNode.ADMIN_TOKEN, null, null);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  // ------------------------------------------------------------------ (d) fair share of the connection budget

  @Test
  @DisplayName("fair share: A floods pg_sleep across regions; warm B keeps its connection and answers promptly")
  void fairShare() throws InterruptedException {
    String attacker = node.tenantId("flood");
    String token = node.createTenant(attacker);
    String cold = node.tenantId("cold");
    String coldToken = node.createTenant(cold);
    Probe before = Probe.measure(20);
    java.util.Set<String> pidsBefore = backendPids();
    java.util.Set<String> pidsDuring;

    Vertx vertx = Vertx.vertx();
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    List<String> missingRetryAfter = new CopyOnWriteArrayList<>();
    AtomicBoolean flooding = new AtomicBoolean(true);
    List<Future<Void>> loops = new ArrayList<>();
    Probe during;
    long coldMs;
    HttpResponse<Buffer> coldAnswer;
    try {
      WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.port), new PoolOptions().setHttp1MaxSize(64));
      for (String colo : List.of("ORD", "LHR", "NRT", "SEA")) {
        for (int i = 0; i < 4; i++) {
          loops.add(floodLoop(client, attacker, token, colo, flooding, statuses, missingRetryAfter));
        }
      }
      Thread.sleep(1500); // A holds every permit it can get
      during = Probe.start();
      Thread.sleep(3000);
      pidsDuring = backendPids();
      // a tenant that arrives during the flood gets a connection before A's waiting statements
      long start = System.nanoTime();
      coldAnswer = node.query(cold, coldToken, sql("select 1 as one"));
      coldMs = (System.nanoTime() - start) / 1_000_000;
      Thread.sleep(500);
      during.stop();
    } finally {
      flooding.set(false);
      Future.join(loops).await();
      vertx.close().await();
    }
    System.out.println("fair share: attacker statuses " + statuses + "; a cold tenant's first query took "
        + coldMs + " ms: " + coldAnswer.statusCode() + "; B's backends " + pidsBefore + " -> " + pidsDuring
        + ", " + during.warmSelects + "/" + during.selects + " selects warm (cold in rounds " + during.coldRounds + ")");
    during.assertHealthy(before, "connection flood");
    // B keeps the connections it had before the flood: none was evicted to feed A (keep-warm may
    // add one, for B's own peak concurrency)
    assertThat(pidsDuring).as("B's backends during the flood").containsAll(pidsBefore);
    // (keep-warm may hold B's connection for a moment: one cold start is tolerated)
    assertThat(during.warmSelects).as("B's selects on a warm connection during the flood")
        .isGreaterThanOrEqualTo(during.selects - 1);
    assertThat(coldAnswer.statusCode()).as(coldAnswer.bodyAsString()).isEqualTo(200);
    assertThat(statuses.keySet()).as("A's answers").isSubsetOf(200, 429, 503);
    assertThat(statuses.getOrDefault(200, new AtomicInteger()).get()).isPositive();
    assertThat(missingRetryAfter).as("A's 429/503 answers without Retry-After").isEmpty();
  }

  /** The backend pids B's statements ran on, over a few queries. */
  private static java.util.Set<String> backendPids() {
    java.util.Set<String> pids = new java.util.TreeSet<>();
    for (int i = 0; i < 6; i++) {
      HttpResponse<Buffer> response = node.query(calm, calmToken, sql("select pg_backend_pid()::text as pid"));
      ok(response);
      pids.add(response.bodyAsJsonObject().getJsonArray("rows").getJsonObject(0).getString("pid"));
    }
    return pids;
  }

  private static Future<Void> floodLoop(WebClient client, String tenant, String token, String colo, AtomicBoolean running,
                                        Map<Integer, AtomicInteger> statuses, List<String> missingRetryAfter) {
    if (!running.get()) {
      return Future.succeededFuture();
    }
    return client.post("/v1/query/" + tenant)
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Colo", colo)
        .sendBuffer(Buffer.buffer(sql("select pg_sleep(0.8)").encode()))
        .compose(response -> {
          statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
          if (response.statusCode() != 200 && response.getHeader("Retry-After") == null) {
            missingRetryAfter.add(response.bodyAsString());
          }
          return floodLoop(client, tenant, token, colo, running, statuses, missingRetryAfter);
        }, failed -> floodLoop(client, tenant, token, colo, running, statuses, missingRetryAfter));
  }

  // ------------------------------------------------------------------ (e) result bytes

  @Test
  @DisplayName("a huge value over the byte cap answers result_too_large at about the cost of building one value")
  void hugeValueStopsEarly() throws InterruptedException {
    String attacker = node.tenantId("huge");
    String token = node.createTenant(attacker);
    ok(node.query(attacker, token, sql("select 1")));
    // what PostgreSQL spends building one 50 MB value, without sending it
    double build = medianMs(5, () -> ok(node.query(attacker, token, sql("select length(repeat('x', 50000000))"))));
    double one = medianMs(5, () -> expectTooLarge(node.query(attacker, token, sql("select repeat('x', 50000000)"))));
    // 20 such values (1 GB): read on, or left to run, this costs 20 builds and 1 GB on the wire
    double twenty = medianMs(5, () -> expectTooLarge(node.query(attacker, token,
        sql("select repeat('x', 50000000) from generate_series(1, 20)"))));
    System.out.printf("huge value: build %.1f ms, one 50 MB value refused in %.1f ms, twenty in %.1f ms%n",
        build, one, twenty);
    assertThat(one / build).as("one value refused / built (%.1f / %.1f ms)", one, build).isLessThan(RATIO_BOUND);
    assertThat(twenty / build).as("twenty values refused / one built (%.1f / %.1f ms)", twenty, build)
        .isLessThan(RATIO_BOUND);

    Probe before = Probe.measure(20);
    Probe during = Probe.start();
    try {
      for (int i = 0; i < 8; i++) {
        expectTooLarge(node.query(attacker, token, sql("select repeat('x', 50000000) from generate_series(1, 20)")));
      }
    } finally {
      during.stop();
    }
    during.assertHealthy(before, "huge values");
    ok(node.query(attacker, token, sql("select 1"))); // A's next statement runs normally
  }

  private static void expectTooLarge(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(413);
    assertThat(code(response)).isEqualTo("result_too_large");
  }

  private static double medianMs(int runs, Runnable request) {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      request.run();
      times.add((System.nanoTime() - start) / 1e6);
    }
    Collections.sort(times);
    return times.get(times.size() / 2);
  }

  // ------------------------------------------------------------------ the probe: tenant B and the admin API

  /**
   * Tenant B's queries and the admin API, one after another from one thread, with every answer
   * checked and every latency recorded per kind. Each eighth round also creates a tenant.
   */
  private static final class Probe {

    private final Map<String, List<Double>> millis = new TreeMap<>();
    private final List<String> bad = new CopyOnWriteArrayList<>();
    /** Admin answers 503 with Retry-After: allowed while PostgreSQL is out of a shared resource. */
    private final List<String> unavailable = new CopyOnWriteArrayList<>();
    private String lastRetryAfter;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;
    private int rounds;
    int selects;
    int warmSelects;
    final List<Integer> coldRounds = new CopyOnWriteArrayList<>();

    static Probe measure(int rounds) {
      Probe probe = new Probe();
      for (int i = 0; i < rounds; i++) {
        probe.round();
      }
      return probe;
    }

    /** Runs rounds on a thread of its own until {@link #stop}. */
    static Probe start() {
      Probe probe = new Probe();
      probe.thread = new Thread(() -> {
        while (probe.running.get()) {
          probe.round();
        }
      }, "probe");
      probe.thread.start();
      return probe;
    }

    /** Stops after at least 10 rounds. */
    void stop() throws InterruptedException {
      while (rounds < 10 && thread.isAlive()) {
        Thread.sleep(20);
      }
      running.set(false);
      thread.join(60_000);
    }

    private void round() {
      int n = rounds++;
      HttpResponse<Buffer> select = timed("select", () -> node.query(calm, calmToken,
          sql("select v from calm_t where id = $1").put("params", new JsonArray().add(n % 100 + 1))), 200);
      if (select != null) {
        selects++;
        if (select.bodyAsJsonObject().getJsonObject("compute").getBoolean("warm")) {
          warmSelects++;
        } else {
          coldRounds.add(n);
        }
      }
      timed("insert", () -> node.query(calm, calmToken,
          sql("insert into calm_log values ($1)").put("params", new JsonArray().add(n))), 200);
      timed("admin-get", () -> node.send(HttpMethod.GET, "/v1/tenants/" + calm, TestNode.ADMIN_TOKEN, null, null), 200);
      if (n % 8 == 0) {
        String fresh = node.tenantId("probe" + created.incrementAndGet());
        // while PostgreSQL is out of a shared resource an admin call may answer 503 with Retry-After (never 500)
        HttpResponse<Buffer> put = timed("admin-put", () -> node.send(HttpMethod.PUT, "/v1/tenants/" + fresh,
            TestNode.ADMIN_TOKEN, null, null), 201);
        if (put == null && !bad.isEmpty() && bad.get(bad.size() - 1).startsWith("admin-put: 503")
            && lastRetryAfter != null) {
          unavailable.add(bad.remove(bad.size() - 1));
        }
      }
    }

    private HttpResponse<Buffer> timed(String kind, Supplier<HttpResponse<Buffer>> call, int expected) {
      long start = System.nanoTime();
      HttpResponse<Buffer> response;
      try {
        response = call.get();
      } catch (RuntimeException e) {
        bad.add(kind + ": " + e);
        return null;
      }
      double ms = (System.nanoTime() - start) / 1e6;
      lastRetryAfter = response.getHeader("Retry-After");
      synchronized (millis) {
        millis.computeIfAbsent(kind, k -> new ArrayList<>()).add(ms);
      }
      if (response.statusCode() != expected) {
        bad.add(kind + ": " + response.statusCode() + " " + response.bodyAsString());
        return null;
      }
      return response;
    }

    double median(String kind) {
      synchronized (millis) {
        List<Double> sorted = new ArrayList<>(millis.getOrDefault(kind, List.of()));
        Collections.sort(sorted);
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
      }
    }

    /** Every answer as expected, and each kind's median within the bound of the same kind's before. */
    void assertHealthy(Probe before, String attack) {
      StringBuilder report = new StringBuilder(attack + ": " + rounds + " probe rounds, "
          + unavailable.size() + " admin 503s;");
      for (String kind : List.of("select", "insert", "admin-get", "admin-put")) {
        report.append(String.format(" %s %.1f -> %.1f ms (x%.2f);", kind, before.median(kind), median(kind),
            median(kind) / before.median(kind)));
      }
      System.out.println(report);
      unavailable.forEach(answer -> System.out.println("  " + answer));
      assertThat(bad).as("B's and the admin API's answers during the " + attack).isEmpty();
      assertThat(rounds).as("probe rounds during the " + attack).isGreaterThanOrEqualTo(10);
      for (String kind : List.of("select", "insert", "admin-get")) {
        assertThat(median(kind) / before.median(kind))
            .as("%s: median %.1f ms during the %s over %.1f ms before", kind, median(kind), attack, before.median(kind))
            .isLessThan(RATIO_BOUND);
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private static JsonObject sql(String sql) {
    return new JsonObject().put("sql", sql);
  }

  private static void ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }

  private static String code(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error").getString("code");
  }

  private static String sqlState(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error").getString("sqlState");
  }
}
