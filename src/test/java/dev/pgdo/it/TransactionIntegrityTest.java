package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Statements that try to open, end or reshape a transaction behind the service's back, each
 * disguised from a naive lexer: no open transaction survives a request, a {@code "transaction"}
 * is all or nothing (and the service's own transaction contains a DO block or CALL: PostgreSQL
 * refuses transaction control in them inside a transaction block), {@code readOnly} never writes, and every acknowledged write is durable,
 * as seen by a separate superuser connection to the tenant's database.
 */
@DisplayName("Transaction control cannot be smuggled in, however it is disguised")
class TransactionIntegrityTest {

  private static final String HIDE = "/* /* */ SELECT */ ";

  /**
   * One disguise. {@code scannerRefuses}: the service refuses it before it reaches PostgreSQL
   * (400 invalid_request); otherwise PostgreSQL itself must refuse or contain it.
   */
  record Disguise(String label, String sql, boolean scannerRefuses) {
    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Disguise> disguises() {
    return Stream.of(
        new Disguise("HIDE BEGIN", HIDE + "BEGIN", true),
        new Disguise("HIDE COMMIT", HIDE + "COMMIT", true),
        new Disguise("HIDE ROLLBACK", HIDE + "ROLLBACK", true),
        new Disguise("HIDE COPY FROM STDIN", HIDE + "COPY t FROM STDIN", true),
        new Disguise("HIDE COPY TO STDOUT", HIDE + "COPY t TO STDOUT", true),
        new Disguise("nested comment without spaces", "/*/**/*/COMMIT", true),
        new Disguise("three-deep comment", "/* a /* b /* c */ */ */ START TRANSACTION", true),
        new Disguise("line comment", "-- select\nBEGIN", true),
        new Disguise("END", "end", true),
        new Disguise("ABORT", "ABORT", true),
        new Disguise("COMMIT AND CHAIN", "COMMIT AND CHAIN", true),
        new Disguise("SET TRANSACTION", "SET TRANSACTION READ WRITE", true),
        new Disguise("SET SESSION CHARACTERISTICS", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", true),
        new Disguise("transaction_read_only setting", "SET \"transaction_read_only\" = off", true),
        new Disguise("PREPARE TRANSACTION", "PREPARE TRANSACTION 'x'", true),
        new Disguise("dollar quote then COMMIT", "select $a$ $b$ $a$; commit", true),
        new Disguise("escaped quote then BEGIN", "select E'\\''; begin", true),
        new Disguise("COPY of a query", "copy (select 1) to stdout", true),
        new Disguise("DO block that commits", "DO $$BEGIN COMMIT; END$$", false),
        new Disguise("DO block that executes COMMIT", "DO $$BEGIN EXECUTE 'COMMIT'; END$$", false),
        new Disguise("CALL of a procedure that commits", "CALL committer()", false),
        new Disguise("prepared COMMIT", "PREPARE c AS COMMIT", false),
        new Disguise("read-write switch inside a DO block",
            "DO $$BEGIN PERFORM set_config('transaction_read_only', 'off', true); END$$", false));
  }

  private static TestNode node;
  private static String tenant;
  private static String token;
  private static Pool tenantDb;
  private static io.vertx.core.Vertx checkVertx;
  private static final AtomicInteger nextId = new AtomicInteger(1);
  /** Ids whose insert the service acknowledged with 200. */
  private static final ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() {
    node = TestNode.start();
    tenant = node.tenantId("txi");
    token = node.createTenant(tenant);
    ok(node.query(tenant, token, sql("create table t(id int primary key)")));
    ok(node.query(tenant, token, sql("create table log(note text)")));
    ok(node.query(tenant, token, sql(
        "create procedure committer() language plpgsql as $$ begin insert into log values ('c'); commit; end $$")));
    tenantDb = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(TestDatabase.url()).setDatabase(node.database(tenant)))
        .using(checkVertx = io.vertx.core.Vertx.vertx()).build();
  }

  @AfterAll
  static void stop() {
    if (tenantDb != null) {
      tenantDb.close().await();
      checkVertx.close().await();
    }
    if (node != null) {
      node.close();
    }
  }

  private static JsonObject sql(String text) {
    return new JsonObject().put("sql", text);
  }

  private static JsonObject tx(String... statements) {
    JsonArray list = new JsonArray();
    for (String s : statements) {
      list.add(sql(s));
    }
    return new JsonObject().put("transaction", list);
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** Inserts a fresh id as its own request; remembers it when acknowledged. */
  private static int insert() {
    int id = nextId.getAndIncrement();
    HttpResponse<Buffer> response = node.query(tenant, token, sql("insert into t values (" + id + ")"));
    if (response.statusCode() == 200) {
      acknowledged.add(id);
    }
    return id;
  }

  private static String insertSql(int id) {
    return "insert into t values (" + id + ")";
  }

  private static boolean committed(int id) {
    return tenantDb.preparedQuery("select 1 from t where id = $1").execute(Tuple.of(id)).await().size() == 1;
  }

  /** Backends of the tenant's database left inside a transaction between requests. */
  private static long openTransactions() {
    return tenantDb.preparedQuery("select count(*) from pg_stat_activity where datname = current_database() "
            + "and pid <> pg_backend_pid() and state like 'idle in transaction%'")
        .execute().await().iterator().next().getLong(0);
  }

  /** The scanner's disguises answer 400 invalid_request; the others PostgreSQL's 4xx or a 200: never a 5xx. */
  private static void assertRefusedOrContained(Disguise disguise, HttpResponse<Buffer> response) {
    if (disguise.scannerRefuses()) {
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
      assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_request");
    } else {
      assertThat(response.statusCode()).as(response.bodyAsString()).isIn(200, 400);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("disguises")
  @DisplayName("alone: refused or contained, and no transaction stays open")
  void alone(Disguise disguise) {
    HttpResponse<Buffer> response = node.query(tenant, token, sql(disguise.sql()));
    assertRefusedOrContained(disguise, response);
    assertThat(openTransactions()).as("open transactions after " + disguise).isZero();
    int id = insert();
    assertThat(committed(id)).as("a later insert is committed at once").isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("disguises")
  @DisplayName("between two inserts of a transaction: nothing commits")
  void insideTransaction(Disguise disguise) {
    int before = nextId.getAndIncrement();
    int after = nextId.getAndIncrement();
    HttpResponse<Buffer> response = node.query(tenant, token, tx(insertSql(before), disguise.sql(), insertSql(after)));
    assertRefusedOrContained(disguise, response);
    boolean acknowledgedAll = response.statusCode() == 200;
    assertThat(committed(before)).as("first insert, answered " + response.statusCode()).isEqualTo(acknowledgedAll);
    assertThat(committed(after)).as("last insert, answered " + response.statusCode()).isEqualTo(acknowledgedAll);
    assertThat(openTransactions()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("disguises")
  @DisplayName("first in a readOnly transaction: no write")
  void readOnly(Disguise disguise) {
    int id = nextId.getAndIncrement();
    HttpResponse<Buffer> response = node.query(tenant, token,
        tx(disguise.sql(), insertSql(id)).put("readOnly", true));
    assertRefusedOrContained(disguise, response);
    assertThat(response.statusCode()).as("a write under readOnly").isEqualTo(400);
    assertThat(committed(id)).as("insert under readOnly").isFalse();
    response = node.query(tenant, token, sql(disguise.sql()).put("readOnly", true));
    assertRefusedOrContained(disguise, response);
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("[insert 10, HIDE COMMIT, insert 10]: 400 and row 10 is not committed")
  void allOrNothing() {
    int id = nextId.getAndIncrement();
    HttpResponse<Buffer> response = node.query(tenant, token, tx(insertSql(id), HIDE + "COMMIT", insertSql(id)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(committed(id)).isFalse();
  }

  @Test
  @DisplayName("after HIDE BEGIN, ten inserts are each visible to another connection as soon as answered")
  void hideBeginThenInserts() {
    HttpResponse<Buffer> response = node.query(tenant, token, sql(HIDE + "BEGIN"));
    assertThat(response.statusCode()).isEqualTo(400);
    for (int i = 0; i < 10; i++) {
      int id = insert();
      assertThat(committed(id)).as("insert " + id).isTrue();
    }
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("a procedure that commits, called alone, commits its own work and leaves no transaction open")
  void callAlone() {
    long before = tenantDb.query("select count(*) from log").execute().await().iterator().next().getLong(0);
    ok(node.query(tenant, token, sql("CALL committer()")));
    long after = tenantDb.query("select count(*) from log").execute().await().iterator().next().getLong(0);
    assertThat(after).isEqualTo(before + 1);
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("a prepared statement EXECUTEd under readOnly does not write")
  void preparedExecuteReadOnly() {
    int id = nextId.getAndIncrement();
    // the prepared statement lives on one pooled connection; a single-connection transaction both
    // prepares and executes it, then the readOnly request tries it on whichever connection it gets
    HttpResponse<Buffer> response = node.query(tenant, token,
        tx("PREPARE ins(int) AS INSERT INTO t VALUES ($1)", "EXECUTE ins(" + id + ")").put("readOnly", true));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(committed(id)).isFalse();
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("every acknowledged insert is durable")
  void acknowledgedWritesDurable() {
    for (int i = 0; i < 5; i++) {
      insert();
    }
    List<Integer> ids = List.copyOf(acknowledged);
    assertThat(ids).isNotEmpty();
    for (int id : ids) {
      assertThat(committed(id)).as("acknowledged insert " + id).isTrue();
    }
    assertThat(openTransactions()).isZero();
  }
}
