package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("POST /sql speaks the Neon serverless driver's protocol; Drizzle and Kysely work through it")
class NeonDialectTest {

  private static final Path JS_SOURCES = Path.of("src/test/js/neon");
  private static final Path JS_WORK = Path.of("target/neon-js");

  private static TestNode node;
  private static String tenant;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start("--limits.statementTimeoutMs=1000");
    tenant = node.tenantId("neon");
    token = node.createTenant(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String connectionString(String user, String password, String database) {
    return "postgresql://" + user + (password == null ? "" : ":" + password) + "@127.0.0.1:" + node.port + "/"
        + database + "?sslmode=require&application_name=pkg%3Anpm%2F%2540neondatabase%2Fserverless%401.2.0";
  }

  /** As the driver sends it: no Content-Type of its own (fetch labels a string body text/plain). */
  private static HttpResponse<Buffer> sql(String body, Map<String, String> extraHeaders) {
    Map<String, String> headers = new HashMap<>(Map.of(
        "Content-Type", "text/plain;charset=UTF-8",
        "Neon-Connection-String", connectionString(tenant, token, tenant),
        "Neon-Raw-Text-Output", "true",
        "Neon-Array-Mode", "true"));
    headers.putAll(extraHeaders);
    headers.values().removeIf(String::isEmpty);
    return node.send(HttpMethod.POST, "/sql", null, body, headers);
  }

  /** A flat Neon error: JSON with a message, no API.md envelope, no stack trace. */
  private static JsonObject neonError(HttpResponse<Buffer> response, int status) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.containsKey("error")).isFalse();
    assertThat(body.getString("message")).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    return body;
  }

  @Test
  @DisplayName("a query answers Neon's fields, rows as PostgreSQL text, and the v1 path's headers")
  void answerShape() {
    HttpResponse<Buffer> response = sql("{\"query\": \"SELECT $1::int8 AS n, true AS t, NULL::text AS z\", "
        + "\"params\": [\"9007199254740993\"]}", Map.of());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("command", "rowCount", "rows", "fields", "rowAsArray");
    assertThat(body.getString("command")).isEqualTo("SELECT");
    assertThat(body.getValue("rowCount")).isEqualTo(1);
    assertThat(body.getBoolean("rowAsArray")).isTrue();
    assertThat(body.getJsonArray("rows")).isEqualTo(new JsonArray().add(new JsonArray().add("9007199254740993")
        .add("t").addNull()));
    JsonObject field = body.getJsonArray("fields").getJsonObject(0);
    assertThat(field.fieldNames()).containsExactlyInAnyOrder("name", "dataTypeID", "tableID", "columnID",
        "dataTypeSize", "dataTypeModifier", "format");
    assertThat(field.getInteger("dataTypeID")).isEqualTo(20);
    assertThat(field.getString("format")).isEqualTo("text");
    assertThat(response.getHeader("X-Pgdo-Member")).startsWith("shared-compute.");
    assertThat(response.getHeader("X-Pgdo-Warm")).isIn("true", "false");
    assertThat(response.getHeader("Server-Timing")).contains("route;dur=").contains("query;dur=");
  }

  @Test
  @DisplayName("Neon-Array-Mode: false keys rows by column name")
  void objectRows() {
    HttpResponse<Buffer> response = sql("{\"query\": \"SELECT 1 AS a, 'x' AS b\"}", Map.of("Neon-Array-Mode", "false"));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getJsonArray("rows"))
        .isEqualTo(new JsonArray().add(new JsonObject().put("a", "1").put("b", "x")));
    assertThat(response.bodyAsJsonObject().getBoolean("rowAsArray")).isFalse();
  }

  @Test
  @DisplayName("queries run as one transaction with the batch options, and Idempotency-Key works as on /v1/query")
  void batchAndIdempotency() {
    sql("{\"query\": \"CREATE TABLE IF NOT EXISTS neon_once (id int)\"}", Map.of());
    String batch = "{\"queries\": [{\"query\": \"INSERT INTO neon_once VALUES ($1)\", \"params\": [\"1\"]},"
        + " {\"query\": \"SELECT current_setting('transaction_isolation'), count(*) FROM neon_once\"}]}";
    Map<String, String> headers = Map.of("Idempotency-Key", "neon-once-1", "Neon-Batch-Isolation-Level", "RepeatableRead");
    HttpResponse<Buffer> first = sql(batch, headers);
    HttpResponse<Buffer> repeat = sql(batch, headers);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    JsonArray results = first.bodyAsJsonObject().getJsonArray("results");
    assertThat(results.getJsonObject(0).getString("command")).isEqualTo("INSERT");
    assertThat(results.getJsonObject(0).getValue("rowCount")).isEqualTo(1);
    assertThat(results.getJsonObject(1).getJsonArray("rows").getJsonArray(0))
        .isEqualTo(new JsonArray().add("repeatable read").add("1"));
    assertThat(repeat.bodyAsJsonObject().getJsonArray("results")).isEqualTo(results);
    HttpResponse<Buffer> count = sql("{\"query\": \"SELECT count(*) FROM neon_once\"}", Map.of());
    assertThat(count.bodyAsJsonObject().getJsonArray("rows").getJsonArray(0).getString(0)).isEqualTo("1");
  }

  @Test
  @DisplayName("an empty queries array answers {\"results\": []}")
  void emptyBatch() {
    HttpResponse<Buffer> response = sql("{\"queries\": []}", Map.of());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject()).isEqualTo(new JsonObject().put("results", new JsonArray()));
  }

  @Test
  @DisplayName("a SQL error is a flat 400 with SQLSTATE code and position as a string")
  void sqlError() {
    JsonObject error = neonError(sql("{\"query\": \"SELECT * FROM missing_table\"}", Map.of()), 400);
    assertThat(error.getString("code")).isEqualTo("42P01");
    assertThat(error.getValue("position")).isEqualTo("15");
    assertThat(error.getString("severity")).isEqualTo("ERROR");
  }

  @Test
  @DisplayName("a statement timeout is a 400 with SQLSTATE 57014 on /sql, and still a 504 on /v1/query")
  void statementTimeout() {
    JsonObject error = neonError(sql("{\"query\": \"SELECT pg_sleep(3)\"}", Map.of()), 400);
    assertThat(error.getString("code")).isEqualTo("57014");
    HttpResponse<Buffer> v1 = node.query(tenant, token, new JsonObject().put("sql", "SELECT pg_sleep(3)"));
    assertThat(v1.statusCode()).isEqualTo(504);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("connection strings that name no usable tenant: a clear 400")
  @CsvSource(delimiter = '|', value = {
      "missing header            |                                                      | Neon-Connection-String header is missing",
      "not a URL                 | postgresql://a b@127.0.0.1/x                         | not a valid URL",
      "wrong scheme              | mysql://u:p@127.0.0.1/u                              | must be a postgresql:// URL",
      "no user                   | postgresql://127.0.0.1/db                            | no user name",
      "no database               | postgresql://u:p@127.0.0.1                           | names no database",
      "malformed escape          | postgresql://u:p%zz@127.0.0.1/u                      | not a valid URL",
      "user is no tenant id      | postgresql://Not_Valid!:p@127.0.0.1/Not_Valid!       | tenant ids match",
      "database is another name  | postgresql://{tenant}:p@127.0.0.1/neondb             | does not match the user name",
  })
  void badConnectionString(String name, String value, String expected) {
    String header = value == null ? "" : value.replace("{tenant}", tenant);
    JsonObject error = neonError(sql("{\"query\": \"SELECT 1\"}", Map.of("Neon-Connection-String", header)), 400);
    assertThat(error.getString("message")).contains(expected);
    if (name.startsWith("database")) {
      assertThat(error.getString("code")).isEqualTo("3D000");
    }
  }

  @Test
  @DisplayName("a wrong or missing token is PostgreSQL's 28P01 in a 400; Authorization: Bearer wins over the password")
  void credentials() {
    JsonObject wrong = neonError(sql("{\"query\": \"SELECT 1\"}",
        Map.of("Neon-Connection-String", connectionString(tenant, "wrong", tenant))), 400);
    assertThat(wrong.getString("code")).isEqualTo("28P01");
    assertThat(wrong.getString("message")).isEqualTo("password authentication failed for user \"" + tenant + "\"");
    JsonObject none = neonError(sql("{\"query\": \"SELECT 1\"}",
        Map.of("Neon-Connection-String", connectionString(tenant, null, tenant))), 400);
    assertThat(none.getString("code")).isEqualTo("28P01");
    HttpResponse<Buffer> bearer = sql("{\"query\": \"SELECT 1\"}", Map.of(
        "Neon-Connection-String", connectionString(tenant, "ignored", tenant), "Authorization", "Bearer " + token));
    assertThat(bearer.statusCode()).as(bearer.bodyAsString()).isEqualTo(200);
    // another tenant's token is a wrong password too
    String other = node.tenantId("neon-other");
    node.createTenant(other);
    JsonObject foreign = neonError(sql("{\"query\": \"SELECT 1\"}",
        Map.of("Neon-Connection-String", connectionString(other, token, other))), 400);
    assertThat(foreign.getString("code")).isEqualTo("28P01");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @DisplayName("option headers with bad values: a clear 400")
  @CsvSource(delimiter = '|', value = {
      "Neon-Array-Mode            | maybe        | must be true or false",
      "Neon-Raw-Text-Output       | false        | values are always PostgreSQL's text",
      "Neon-Raw-Text-Output       | 1            | must be true or false",
      "Neon-Batch-Isolation-Level | Chaos        | must be ReadUncommitted, ReadCommitted",
      "Neon-Batch-Read-Only       | yes          | must be true or false",
      "Neon-Batch-Deferrable      | sometimes    | must be true or false",
  })
  void badOptionHeader(String header, String value, String expected) {
    JsonObject error = neonError(sql("{\"queries\": [{\"query\": \"SELECT 1\"}]}", Map.of(header, value)), 400);
    assertThat(error.getString("message")).contains(header.startsWith("Neon-Raw") && value.equals("false")
        ? expected : header).contains(expected);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("bodies the protocol does not allow: a clear 400")
  @CsvSource(delimiter = '|', value = {
      "not JSON                 | select 1                                      | not a JSON object",
      "query not a string       | {\"query\": 1}                                | 'query' must be a string",
      "params not an array      | {\"query\": \"SELECT $1\", \"params\": {}}    | 'params' must be an array",
      "queries not an array     | {\"queries\": {}}                             | 'queries' must be an array",
      "queries item not object  | {\"queries\": [1]}                            | queries[0] must be an object",
      "both query and queries   | {\"query\": \"SELECT 1\", \"queries\": []}    | not both",
      "transaction control      | {\"query\": \"COMMIT\"}                       | COMMIT is not accepted",
  })
  void badBody(String name, String body, String expected) {
    assertThat(neonError(sql(body, Map.of()), 400).getString("message")).contains(expected);
  }

  @Test
  @DisplayName("a body over Neon's 10 MiB is a 413, a result over 10 MiB a 507: JSON either way")
  void sizeLimits() {
    String big = "{\"query\": \"SELECT $1\", \"params\": [\"" + "x".repeat(10 * 1024 * 1024) + "\"]}";
    neonError(sql(big, Map.of()), 413);
    String justUnder = "{\"query\": \"SELECT length($1::text) AS n\", \"params\": [\"" + "x".repeat(2 * 1024 * 1024) + "\"]}";
    HttpResponse<Buffer> accepted = sql(justUnder, Map.of());
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(200);
    assertThat(accepted.bodyAsJsonObject().getJsonArray("rows").getJsonArray(0).getString(0)).isEqualTo("2097152");
    neonError(sql("{\"query\": \"SELECT repeat('x', 1048576) FROM generate_series(1, 11)\"}", Map.of()), 507);
  }

  @Test
  @DisplayName("a preflight allows every header the driver sends, Neon-Batch-Deferrable included")
  void preflight() {
    HttpResponse<Buffer> response = node.send(HttpMethod.OPTIONS, "/sql", null, null, Map.of(
        "Origin", "https://app.example",
        "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "neon-connection-string, neon-raw-text-output, neon-array-mode, "
            + "neon-batch-isolation-level, neon-batch-read-only, neon-batch-deferrable, authorization"));
    assertThat(response.statusCode()).isBetween(200, 204);
    assertThat(response.getHeader("Access-Control-Allow-Origin")).isEqualTo("*");
    String allowed = response.getHeader("Access-Control-Allow-Headers").toLowerCase();
    for (String header : List.of("neon-connection-string", "neon-raw-text-output", "neon-array-mode",
        "neon-batch-isolation-level", "neon-batch-read-only", "neon-batch-deferrable", "authorization")) {
      assertThat(allowed).contains(header);
    }
    HttpResponse<Buffer> actual = sql("{\"query\": \"SELECT 1\"}", Map.of("Origin", "https://app.example"));
    assertThat(actual.getHeader("Access-Control-Allow-Origin")).isEqualTo("*");
  }

  @Test
  @DisplayName("the requests meter counts each dialect under its own label")
  void dialectLabel() {
    sql("{\"query\": \"SELECT 1\"}", Map.of());
    String metrics = node.get("/metrics").bodyAsString();
    assertThat(metrics).containsPattern("pgdo_requests_total\\{[^}]*dialect=\"neon\"");
    node.query(tenant, token, new JsonObject().put("sql", "SELECT 1"));
    assertThat(node.get("/metrics").bodyAsString()).containsPattern("pgdo_requests_total\\{[^}]*dialect=\"v1\"");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  @DisplayName("the Node.js suite: @neondatabase/serverless 1.2.0, drizzle-orm neon-http, kysely-neon (npm ci)")
  void nodeSuite() throws Exception {
    Files.createDirectories(JS_WORK);
    try (var files = Files.list(JS_SOURCES)) {
      for (Path file : files.filter(f -> f.getFileName().toString().matches("package(-lock)?\\.json|.*\\.mjs")).toList()) {
        Files.copy(file, JS_WORK.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    // npm's cache lives under target/ too: a CI run leaves nothing outside the build directory
    run(List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", ".npm-cache"), Map.of());
    run(List.of("node", "--test", "--test-concurrency=1", "driver.test.mjs", "orm.test.mjs"), Map.of(
        "PGDO_PORT", Integer.toString(node.port), "PGDO_TENANT", tenant, "PGDO_TOKEN", token));
  }

  private static void run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    Path log = JS_WORK.resolve(command.get(0) + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(JS_WORK.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    boolean finished = process.waitFor(5, TimeUnit.MINUTES);
    if (!finished) {
      process.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as("%s did not finish in 5 minutes:%n%s", command, output).isTrue();
    assertThat(process.exitValue()).as("%s failed:%n%s", command, output).isZero();
  }
}
