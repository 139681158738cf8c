package dev.pgdo.it;

import dev.pgdo.bus.Addresses;
import dev.pgdo.routing.Rendezvous;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A node answers queries over HTTP from warm pool members")
class QueryEndToEndTest {

  private static TestNode node;
  private static String tenant;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    tenant = node.tenantId("e2e");
    token = node.createTenant(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    return response.bodyAsJsonObject();
  }

  @Test
  @DisplayName("create table, insert with params, select: the documented response shape")
  void ddlInsertSelect() {
    ok(node.query(tenant, token, new JsonObject().put("sql",
        "create table users (id int8 primary key, name text, score float8, tags text[], meta jsonb, born date)")));
    JsonObject insert = ok(node.query(tenant, token, new JsonObject()
        .put("sql", "insert into users values ($1, $2, $3, $4, $5, $6)")
        .put("params", new JsonArray().add("9007199254740993").add("ada").add(1.5)
            .add(new JsonArray().add("x").add("y")).add(new JsonObject().put("k", 1)).add("1815-12-10"))));
    assertThat(insert.getString("command")).isEqualTo("INSERT");
    assertThat(insert.getInteger("rowCount")).isEqualTo(1);

    JsonObject select = ok(node.query(tenant, token, new JsonObject()
        .put("sql", "select id, name, score, tags, meta, born from users where id = $1")
        .put("params", new JsonArray().add("9007199254740993"))));
    assertThat(select.getString("command")).isEqualTo("SELECT");
    assertThat(select.getInteger("rowCount")).isEqualTo(1);
    assertThat(select.getJsonArray("fields")).containsExactly(
        field("id", "int8"), field("name", "text"), field("score", "float8"), field("tags", "_text"),
        field("meta", "jsonb"), field("born", "date"));
    JsonObject row = select.getJsonArray("rows").getJsonObject(0);
    assertThat(row.getValue("id")).isEqualTo("9007199254740993");
    assertThat(row.getValue("name")).isEqualTo("ada");
    assertThat(row.getDouble("score")).isEqualTo(1.5);
    assertThat(row.getJsonArray("tags")).containsExactly("x", "y");
    assertThat(row.getJsonObject("meta")).isEqualTo(new JsonObject().put("k", 1));
    assertThat(row.getValue("born")).isEqualTo("1815-12-10");

    JsonObject compute = select.getJsonObject("compute");
    assertThat(compute.fieldNames()).containsExactlyInAnyOrder("address", "region", "node", "colo", "warm");
    assertThat(compute.getString("region")).isEqualTo("enam");
    assertThat(compute.getString("node")).isEqualTo(node.node.config().nodeId());
    assertThat(compute.getValue("colo")).isNull();
    JsonObject timings = select.getJsonObject("timings");
    assertThat(timings.fieldNames()).containsExactlyInAnyOrder("totalMs", "connectMs", "queryMs");
    assertThat(timings.getDouble("totalMs")).isGreaterThanOrEqualTo(timings.getDouble("queryMs"));
  }

  private static JsonObject field(String name, String type) {
    return new JsonObject().put("name", name).put("type", type);
  }

  @Test
  @DisplayName("creating a tenant opens its connection on its home member before the 201, so its first query is warm")
  void creationWarms() {
    String fresh = node.tenantId("born-warm");
    String freshToken = node.createTenant(fresh);
    long backends = node.superuser().preparedQuery("select count(*) from pg_stat_activity where usename = $1")
        .execute(io.vertx.sqlclient.Tuple.of(node.database(fresh))).await().iterator().next().getLong(0);
    assertThat(backends).as("backends of the new tenant's role (it owns its database) before its first query")
        .isEqualTo(1);

    JsonObject first = ok(node.query(fresh, freshToken, new JsonObject().put("sql", "select 1 as one")));
    assertThat(first.getJsonObject("compute").getBoolean("warm")).isTrue();
  }

  @Test
  @DisplayName("a tenant created from a colo is warmed in the region serving that colo")
  void creationWarmsTheCallersRegion() {
    String fresh = node.tenantId("born-in-lhr");
    HttpResponse<Buffer> created = node.send(HttpMethod.PUT, "/v1/tenants/" + fresh, TestNode.ADMIN_TOKEN, null,
        Map.of("X-Colo", "LHR"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String token = created.bodyAsJsonObject().getString("token");

    HttpResponse<Buffer> first = node.send(HttpMethod.POST, "/v1/query/" + fresh, token,
        "{\"sql\":\"select 1 as one\"}", Map.of("Content-Type", "application/json", "X-Colo", "LHR"));
    JsonObject compute = ok(first).getJsonObject("compute");
    assertThat(compute.getString("address")).startsWith("shared-compute.weur.");
    assertThat(compute.getBoolean("warm")).isTrue();
  }

  @Test
  @DisplayName("the query lands on the tenant's rendezvous winner, and the second one is warm")
  void stickyAndWarm() {
    String fresh = node.tenantId("sticky");
    String freshToken = node.createTenant(fresh);
    String expected = Addresses.compute("weur", Rendezvous.winner(fresh, 4));
    HttpResponse<Buffer> first = node.send(HttpMethod.POST, "/v1/query/" + fresh, freshToken,
        "{\"sql\":\"select 1 as one\"}", Map.of("Content-Type", "application/json", "X-Colo", "lhr"));
    JsonObject firstCompute = ok(first).getJsonObject("compute");
    assertThat(firstCompute.getString("address")).isEqualTo(expected);
    assertThat(firstCompute.getString("colo")).isEqualTo("LHR");

    HttpResponse<Buffer> second = node.send(HttpMethod.POST, "/query/" + fresh, freshToken,
        "{\"sql\":\"select 2 as two\"}", Map.of("Content-Type", "application/json", "CF-Ray", "8f1a2b3c4d5e6f70-LHR"));
    JsonObject secondCompute = ok(second).getJsonObject("compute");
    assertThat(secondCompute.getString("address")).isEqualTo(expected);
    assertThat(secondCompute.getBoolean("warm")).isTrue();
  }

  @Test
  @DisplayName("a transaction is all or nothing, with rowMode array")
  void transaction() {
    ok(node.query(tenant, token, new JsonObject().put("sql", "create table ledger (n int4 primary key)")));
    JsonObject committed = ok(node.query(tenant, token, new JsonObject()
        .put("transaction", new JsonArray()
            .add(new JsonObject().put("sql", "insert into ledger values ($1)").put("params", new JsonArray().add(1)))
            .add(new JsonObject().put("sql", "select count(*) as c from ledger")))
        .put("rowMode", "array").put("isolation", "serializable")));
    JsonArray results = committed.getJsonArray("results");
    assertThat(results).hasSize(2);
    assertThat(results.getJsonObject(1).getJsonArray("rows").getJsonArray(0).getValue(0)).isEqualTo("1");
    assertThat(committed.getJsonObject("compute")).isNotNull();

    HttpResponse<Buffer> failed = node.query(tenant, token, new JsonObject()
        .put("transaction", new JsonArray()
            .add(new JsonObject().put("sql", "insert into ledger values (2)"))
            .add(new JsonObject().put("sql", "insert into ledger values (1)"))));
    assertThat(failed.statusCode()).isEqualTo(400);
    assertThat(failed.bodyAsJsonObject().getJsonObject("error").getString("sqlState")).isEqualTo("23505");
    JsonObject count = ok(node.query(tenant, token, new JsonObject().put("sql", "select count(*) as c from ledger")));
    assertThat(count.getJsonArray("rows").getJsonObject(0).getString("c")).isEqualTo("1");
  }

  @Test
  @DisplayName("an Idempotency-Key runs a write once, answers a repeat with the first result, refuses reuse")
  void idempotencyKey() {
    ok(node.query(tenant, token, new JsonObject().put("sql", "create table once (n serial primary key, v text)")));
    Map<String, String> keyed = Map.of("Content-Type", "application/json", "Idempotency-Key", "order-42");
    String insert = "{\"sql\": \"insert into once (v) values ($1) returning n\", \"params\": [\"x\"]}";
    JsonObject first = ok(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, insert, keyed));
    JsonObject again = ok(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, insert, keyed));
    assertThat(again.getJsonArray("rows")).isEqualTo(first.getJsonArray("rows"));
    JsonObject count = ok(node.query(tenant, token, new JsonObject().put("sql", "select count(*) as c from once")));
    assertThat(count.getJsonArray("rows").getJsonObject(0).getString("c")).isEqualTo("1");

    HttpResponse<Buffer> reused = node.send(HttpMethod.POST, "/v1/query/" + tenant, token,
        "{\"sql\": \"insert into once (v) values ('other')\"}", keyed);
    assertThat(reused.statusCode()).isEqualTo(400);
    assertThat(reused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("invalid_request");
  }

  @Test
  @DisplayName("a tenant's token does not open another tenant, and a rotated token stops working")
  void tokens() {
    String other = node.tenantId("other");
    String otherToken = node.createTenant(other);
    JsonObject select = new JsonObject().put("sql", "select 1");
    assertThat(node.query(other, token, select).statusCode()).isEqualTo(401);
    assertThat(node.query(other, TestNode.ADMIN_TOKEN, select).statusCode()).isEqualTo(401);
    assertThat(node.query(node.tenantId("nobody"), otherToken, select).statusCode()).isEqualTo(401);
    assertThat(node.query(other, otherToken, select).statusCode()).isEqualTo(200);

    HttpResponse<Buffer> rotated = node.send(HttpMethod.POST, "/v1/tenants/" + other + "/token",
        TestNode.ADMIN_TOKEN, null, null);
    assertThat(rotated.statusCode()).isEqualTo(200);
    String newToken = rotated.bodyAsJsonObject().getString("token");
    assertThat(node.query(other, otherToken, select).statusCode()).isEqualTo(401);
    assertThat(node.query(other, newToken, select).statusCode()).isEqualTo(200);

    HttpResponse<Buffer> described = node.send(HttpMethod.GET, "/v1/tenants/" + other, TestNode.ADMIN_TOKEN, null, null);
    assertThat(described.statusCode()).isEqualTo(200);
    assertThat(described.bodyAsJsonObject().getString("tenant")).isEqualTo(other);
    assertThat(described.bodyAsJsonObject().containsKey("token")).isFalse();

    assertThat(node.send(HttpMethod.PUT, "/v1/tenants/" + other, TestNode.ADMIN_TOKEN, null, null).statusCode())
        .isEqualTo(409);
    assertThat(node.send(HttpMethod.DELETE, "/v1/tenants/" + other, TestNode.ADMIN_TOKEN, null, null).statusCode())
        .isEqualTo(204);
    assertThat(node.query(other, newToken, select).statusCode()).isEqualTo(401);
    assertThat(node.send(HttpMethod.DELETE, "/v1/tenants/" + other, TestNode.ADMIN_TOKEN, null, null).statusCode())
        .isEqualTo(404);
  }
}
