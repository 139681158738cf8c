package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service checks PostgreSQL's own transaction status (ReadyForQuery, through the wire tap)
 * after every statement, so transaction control it did not read as such still cannot leave a
 * pooled connection inside a transaction or end the service's transaction early. The disguise
 * {@code /* /* *&#47; SELECT *&#47;} (nested comments) passes a lexer that ends a comment at the
 * first {@code *&#47;}; these tests do not rely on any lexer. One connection per tenant, so the
 * next request gets the very connection the disguised statement ran on.
 */
@DisplayName("A statement that changes the transaction state is rolled back and refused")
class TransactionStateTest {

  private static final String HIDE = "/* /* */ SELECT */ ";

  private static TestNode node;
  private static String tenant;
  private static String token;
  private static String database;
  private static io.vertx.sqlclient.Pool tenantDatabase;

  @BeforeAll
  static void start() {
    node = TestNode.start("--compute.connectionsPerTenant=1");
    tenant = node.tenantId("txstate");
    token = node.createTenant(tenant);
    database = node.database(tenant);
    tenantDatabase = io.vertx.pgclient.PgBuilder.pool()
        .connectingTo(io.vertx.pgclient.PgConnectOptions.fromUri(TestDatabase.url()).setDatabase(database))
        .build();
    ok(new JsonObject().put("sql", "create table acks (n int4 primary key)"));
  }

  @AfterAll
  static void stop() {
    tenantDatabase.close().await();
    node.close();
  }

  private static JsonObject ok(JsonObject body) {
    HttpResponse<Buffer> response = node.query(tenant, token, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static void refused(JsonObject body) {
    HttpResponse<Buffer> response = node.query(tenant, token, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("invalid_request");
    // the scanner refuses most disguises before they run; ReadyForQuery catches what it would miss
    assertThat(error.getString("message")).containsAnyOf("transaction state", "transaction control");
  }

  private static JsonObject transaction(String... sql) {
    JsonArray statements = new JsonArray();
    for (String s : sql) {
      statements.add(new JsonObject().put("sql", s));
    }
    return new JsonObject().put("transaction", statements);
  }

  /** What another session of PostgreSQL sees: committed rows only. */
  private static long committed(String where) {
    return tenantDatabase.query("select count(*) from acks where " + where).execute()
        .map(rows -> rows.iterator().next().getLong(0))
        .await();
  }

  private static long openTransactions() {
    return node.superuser()
        .preparedQuery("select count(*) from pg_stat_activity where datname = $1 and state like 'idle in transaction%'")
        .execute(Tuple.of(database))
        .map(rows -> rows.iterator().next().getLong(0))
        .await();
  }

  @Test
  @DisplayName("a disguised BEGIN is rolled back: later writes are durable, no session stays in a transaction")
  void disguisedBegin() {
    refused(new JsonObject().put("sql", HIDE + "BEGIN"));
    assertThat(openTransactions()).isZero();
    for (int n = 1; n <= 10; n++) {
      ok(new JsonObject().put("sql", "insert into acks values (" + n + ")"));
    }
    assertThat(committed("n between 1 and 10")).isEqualTo(10);
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("a disguised COMMIT inside a transaction ends the request there: the statements after it never run")
  void disguisedCommitInTransaction() {
    refused(transaction("insert into acks values (101)", HIDE + "COMMIT", "insert into acks values (102)"));
    assertThat(committed("n = 102")).isZero();
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("readOnly with a disguised COMMIT cannot write")
  void readOnlyCommit() {
    refused(transaction(HIDE + "COMMIT", "insert into acks values (201)").put("readOnly", true));
    assertThat(committed("n = 201")).isZero();
    assertThat(openTransactions()).isZero();
  }

  @Test
  @DisplayName("a disguised ROLLBACK or START TRANSACTION is refused, and the next request works")
  void otherDisguises() {
    refused(transaction("insert into acks values (301)", HIDE + "ROLLBACK", "insert into acks values (302)"));
    refused(new JsonObject().put("sql", "/* /* */ SELECT */ START TRANSACTION ISOLATION LEVEL SERIALIZABLE"));
    refused(new JsonObject().put("sql", HIDE + "BEGIN").put("readOnly", false).put("isolation", "serializable")
        .put("sql", HIDE + "ROLLBACK"));
    assertThat(committed("n between 301 and 302")).isZero();
    assertThat(openTransactions()).isZero();
    ok(new JsonObject().put("sql", "insert into acks values (303)"));
    assertThat(committed("n = 303")).isEqualTo(1);
  }

  @Test
  @DisplayName("statements that keep the state (savepoints, ROLLBACK TO) pass")
  void savepointsPass() {
    JsonObject done = ok(transaction("insert into acks values (401)", "savepoint s",
        "insert into acks values (402)", "rollback to savepoint s", "insert into acks values (403)"));
    assertThat(done.getJsonArray("results")).hasSize(5);
    assertThat(committed("n in (401, 403)")).isEqualTo(2);
    assertThat(committed("n = 402")).isZero();
  }
}
