package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant shadows the catalog objects the service's own statements use (a view named
 * {@code pg_prepared_statements}, a temporary one, an {@code =} operator on text that is always
 * false, an {@code unnest}) and puts its schema before {@code pg_catalog}: parameterised
 * statements and idempotent requests still answer right.
 */
@DisplayName("The service's own SQL ignores the tenant's schemas and search_path")
class SearchPathHijackTest {

  private static TestNode node;
  private static String tenant;
  private static String token;

  private static final String SHADOW_SEARCH_PATH = "set search_path = public, pg_catalog";

  @BeforeAll
  static void start() {
    node = TestNode.start();
    tenant = node.tenantId("hijack");
    token = node.createTenant(tenant);
    ok(node.query(tenant, token, sql("create view pg_prepared_statements as "
        + "select 'x'::text as statement, array[]::regtype[] as parameter_types")));
    ok(node.query(tenant, token, sql("create function public.never_equal(text, text) returns boolean "
        + "language sql immutable as 'select false'")));
    ok(node.query(tenant, token, sql("create operator public.= (leftarg = text, rightarg = text, "
        + "function = public.never_equal)")));
    ok(node.query(tenant, token, sql("create function public.unnest(regtype[]) returns setof oid "
        + "language sql as 'select 0::oid where false'")));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static JsonObject sql(String text) {
    return new JsonObject().put("sql", text);
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** A statement text never sent before, so its parameter types must be looked up afresh. */
  private static JsonObject freshParameterised(long value) {
    return new JsonObject().put("sql", "select $1::int8 + 1 as v /* " + UUID.randomUUID() + " */")
        .put("params", new JsonArray().add(value));
  }

  private static long value(JsonObject result) {
    return Long.parseLong(result.getJsonArray("rows").getJsonObject(0).getValue("v").toString());
  }

  @Test
  @DisplayName("a shadowing search_path set in the same transaction")
  void inTransaction() {
    for (int i = 0; i < 4; i++) {
      JsonObject answer = ok(node.query(tenant, token, new JsonObject().put("transaction", new JsonArray()
          .add(sql("set local search_path = public, pg_catalog"))
          .add(freshParameterised(i)))));
      assertThat(value(answer.getJsonArray("results").getJsonObject(1))).isEqualTo(i + 1);
    }
  }

  @Test
  @DisplayName("a temporary view named pg_prepared_statements, searched before every schema")
  void temporaryView() {
    JsonObject answer = ok(node.query(tenant, token, new JsonObject().put("transaction", new JsonArray()
        .add(sql("create temp view pg_prepared_statements as "
            + "select 'x'::text as statement, array[]::regtype[] as parameter_types"))
        .add(freshParameterised(41))
        .add(sql("drop view pg_temp.pg_prepared_statements")))));
    assertThat(value(answer.getJsonArray("results").getJsonObject(1))).isEqualTo(42);
  }

  @Test
  @DisplayName("a session search_path on the pooled connections, then new parameterised statements and idempotent requests")
  void sessionSearchPath() {
    try {
      // more SETs than the tenant has connections, so every pooled connection gets one
      for (int i = 0; i < 12; i++) {
        ok(node.query(tenant, token, sql(SHADOW_SEARCH_PATH)));
      }
      assertThat(ok(node.query(tenant, token, sql("show search_path"))).getJsonArray("rows").getJsonObject(0)
          .getString("search_path")).isEqualTo("public, pg_catalog");
      for (int i = 0; i < 12; i++) {
        assertThat(value(ok(node.query(tenant, token, freshParameterised(100 + i))))).isEqualTo(101 + i);
      }
      String key = "hijack-" + UUID.randomUUID();
      JsonObject keyed = freshParameterised(7).put("idempotencyKey", key);
      JsonObject first = ok(node.query(tenant, token, keyed));
      JsonObject again = ok(node.query(tenant, token, keyed));
      assertThat(value(first)).isEqualTo(8);
      assertThat(again.getJsonArray("rows")).as("the repeat gets the first answer").isEqualTo(first.getJsonArray("rows"));
    } finally {
      for (int i = 0; i < 12; i++) {
        node.query(tenant, token, sql("reset search_path"));
      }
    }
  }
}
