package dev.pgdo.bus;

import dev.pgdo.bus.QueryRequest.Isolation;
import dev.pgdo.bus.QueryRequest.RowMode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("QueryRequest.fromJson validation and toJson round trip")
class QueryRequestTest {

  private static JsonObject req(String json) {
    return new JsonObject(json);
  }

  private static void assertRejected(String json, ErrorCode code) {
    assertThatThrownBy(() -> QueryRequest.fromJson(req(json)))
        .isInstanceOf(PgdoException.class)
        .satisfies(e -> assertThat(((PgdoException) e).code()).isEqualTo(code));
  }

  private static void assertInvalid(String json) {
    assertRejected(json, ErrorCode.INVALID_REQUEST);
  }

  @Test
  @DisplayName("a minimal single statement is one OBJECT-mode statement, no transaction, no batch")
  void minimal() {
    QueryRequest r = QueryRequest.fromJson(req("{\"tenant\":\"acme\",\"sql\":\"select 1\"}"));
    assertThat(r.tenant()).isEqualTo("acme");
    assertThat(r.statements()).hasSize(1);
    assertThat(r.statements().get(0).sql()).isEqualTo("select 1");
    assertThat(r.statements().get(0).rowMode()).isEqualTo(RowMode.OBJECT);
    assertThat(r.statements().get(0).params()).isEmpty();
    assertThat(r.transaction()).isFalse();
    assertThat(r.batch()).isFalse();
    assertThat(r.readOnly()).isFalse();
    assertThat(r.isolation()).isEqualTo(Isolation.READ_COMMITTED);
  }

  @Test
  @DisplayName("params and rowMode array are kept")
  void paramsAndArrayMode() {
    QueryRequest r = QueryRequest.fromJson(req(
        "{\"tenant\":\"acme\",\"sql\":\"select $1, $2, $3\",\"params\":[42,\"x\",null],\"rowMode\":\"array\"}"));
    assertThat(r.statements().get(0).params()).isEqualTo(new JsonArray().add(42).add("x").addNull());
    assertThat(r.statements().get(0).rowMode()).isEqualTo(RowMode.ARRAY);
  }

  @Test
  @DisplayName("a transaction request is a batch in one transaction")
  void transaction() {
    QueryRequest r = QueryRequest.fromJson(req(
        "{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"insert into t values ($1)\",\"params\":[1]},"
            + "{\"sql\":\"select count(*) from t\"}],\"isolation\":\"serializable\",\"readOnly\":false}"));
    assertThat(r.batch()).isTrue();
    assertThat(r.transaction()).isTrue();
    assertThat(r.isolation()).isEqualTo(Isolation.SERIALIZABLE);
    assertThat(r.readOnly()).isFalse();
    assertThat(r.statements()).extracting(QueryRequest.Statement::sql)
        .containsExactly("insert into t values ($1)", "select count(*) from t");
  }

  @Test
  @DisplayName("missing sql is invalid_request")
  void missingSql() {
    assertInvalid("{\"tenant\":\"acme\"}");
    assertInvalid("{\"tenant\":\"acme\",\"params\":[1]}");
  }

  @Test
  @DisplayName("both sql and transaction is invalid_request")
  void both() {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"transaction\":[{\"sql\":\"select 2\"}]}");
  }

  @Test
  @DisplayName("an empty transaction array is invalid_request")
  void emptyTransaction() {
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":[]}");
  }

  @Test
  @DisplayName("a transaction that is not an array of objects with sql is invalid_request")
  void badTransactionShape() {
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":\"select 1\"}");
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":[\"select 1\"]}");
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"select 1\"},{\"params\":[1]}]}");
  }

  @ParameterizedTest(name = "sql = {0}")
  @ValueSource(strings = {"1", "true", "[\"select 1\"]", "{\"q\":1}", "\"\"", "\"   \"", "\"\\n\\t\""})
  @DisplayName("sql that is not a non-blank string is invalid_request")
  void badSql(String sqlJson) {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":" + sqlJson + "}");
  }

  @ParameterizedTest(name = "params = {0}")
  @ValueSource(strings = {"1", "\"a\"", "{\"a\":1}", "true"})
  @DisplayName("params that is not an array is invalid_request")
  void paramsNotArray(String paramsJson) {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"params\":" + paramsJson + "}");
  }

  @Test
  @DisplayName("rowMode \"table\" is invalid_request, top level or per statement")
  void badRowMode() {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"rowMode\":\"table\"}");
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"select 1\",\"rowMode\":\"table\"}]}");
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"rowMode\":1}");
  }

  @Test
  @DisplayName("isolation \"chaos\" (or a non-string) is invalid_request")
  void badIsolation() {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":\"chaos\"}");
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":3}");
  }

  @Test
  @DisplayName("readOnly \"yes\" is invalid_request")
  void badReadOnly() {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"readOnly\":\"yes\"}");
  }

  @Test
  @DisplayName("an object inside an array param is invalid_request, at any depth")
  void objectInArrayParam() {
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select $1\",\"params\":[[1,{\"a\":1}]]}");
    assertInvalid("{\"tenant\":\"acme\",\"sql\":\"select $1\",\"params\":[[[1],[{\"a\":1}]]]}");
    assertInvalid("{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"select $1\",\"params\":[[{\"a\":1}]]}]}");
  }

  @Test
  @DisplayName("a top-level object param (JSON text) and nested scalar arrays are accepted")
  void acceptedParams() {
    QueryRequest r = QueryRequest.fromJson(req(
        "{\"tenant\":\"acme\",\"sql\":\"select $1::jsonb, $2\",\"params\":[{\"a\":[1,2]},[[1,2],[3,4]]]}"));
    assertThat(r.statements().get(0).params().size()).isEqualTo(2);
    assertThat(r.statements().get(0).params().getJsonObject(0)).isEqualTo(new JsonObject().put("a", new JsonArray().add(1).add(2)));
  }

  @ParameterizedTest(name = "tenant = {0}")
  @ValueSource(strings = {"\"Acme\"", "\"\"", "\"-x\"", "\"_x\"", "\"a b\"", "\"a.b\"", "1", "null",
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""})
  @DisplayName("an invalid tenant id is invalid_tenant")
  void badTenant(String tenantJson) {
    assertRejected("{\"tenant\":" + tenantJson + ",\"sql\":\"select 1\"}", ErrorCode.INVALID_TENANT);
  }

  @Test
  @DisplayName("the 64-char tenant in badTenant really is 64 chars, and 63 is accepted")
  void tenantLengthBoundary() {
    String t63 = "a".repeat(63);
    assertThat(QueryRequest.fromJson(new JsonObject().put("tenant", t63).put("sql", "select 1")).tenant())
        .isEqualTo(t63);
    assertThatThrownBy(() -> QueryRequest.fromJson(new JsonObject().put("tenant", t63 + "a").put("sql", "select 1")))
        .isInstanceOf(PgdoException.class)
        .satisfies(e -> assertThat(((PgdoException) e).code()).isEqualTo(ErrorCode.INVALID_TENANT));
  }

  @Test
  @DisplayName("a missing tenant is invalid_tenant")
  void missingTenant() {
    assertRejected("{\"sql\":\"select 1\"}", ErrorCode.INVALID_TENANT);
  }

  @Test
  @DisplayName("isolation is case- and separator-insensitive and makes a single statement transactional")
  void isolationSpellings() {
    QueryRequest s = QueryRequest.fromJson(req("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":\"Serializable\"}"));
    assertThat(s.isolation()).isEqualTo(Isolation.SERIALIZABLE);
    assertThat(s.transaction()).isTrue();
    assertThat(s.batch()).isFalse();
    QueryRequest rr = QueryRequest.fromJson(req("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":\"repeatable read\"}"));
    assertThat(rr.isolation()).isEqualTo(Isolation.REPEATABLE_READ);
    QueryRequest rc = QueryRequest.fromJson(req("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":\"READ_COMMITTED\"}"));
    assertThat(rc.isolation()).isEqualTo(Isolation.READ_COMMITTED);
    assertThat(Isolation.REPEATABLE_READ.sql()).isEqualTo("repeatable read");
  }

  @Test
  @DisplayName("readOnly true makes a single statement transactional")
  void readOnlySingle() {
    QueryRequest r = QueryRequest.fromJson(req("{\"tenant\":\"acme\",\"sql\":\"select 1\",\"readOnly\":true}"));
    assertThat(r.readOnly()).isTrue();
    assertThat(r.transaction()).isTrue();
    assertThat(r.batch()).isFalse();
  }

  @Test
  @DisplayName("transaction items inherit the top-level rowMode unless they set their own")
  void rowModeInheritance() {
    QueryRequest r = QueryRequest.fromJson(req(
        "{\"tenant\":\"acme\",\"rowMode\":\"array\",\"transaction\":["
            + "{\"sql\":\"select 1\"},{\"sql\":\"select 2\",\"rowMode\":\"object\"},{\"sql\":\"select 3\"}]}"));
    assertThat(r.statements()).extracting(QueryRequest.Statement::rowMode)
        .containsExactly(RowMode.ARRAY, RowMode.OBJECT, RowMode.ARRAY);
    QueryRequest d = QueryRequest.fromJson(req(
        "{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"select 1\"},{\"sql\":\"select 2\",\"rowMode\":\"array\"}]}"));
    assertThat(d.statements()).extracting(QueryRequest.Statement::rowMode)
        .containsExactly(RowMode.OBJECT, RowMode.ARRAY);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "{\"tenant\":\"acme\",\"sql\":\"select 1\"}",
      "{\"tenant\":\"acme\",\"sql\":\"select $1, $2\",\"params\":[1,\"two\",null,true,{\"k\":[1]},[[1],[2]]],\"rowMode\":\"array\"}",
      "{\"tenant\":\"acme\",\"sql\":\"select 1\",\"isolation\":\"repeatable read\",\"readOnly\":true}",
      "{\"tenant\":\"acme\",\"sql\":\"select 1\",\"readOnly\":true}",
      "{\"tenant\":\"a-b_9\",\"rowMode\":\"array\",\"isolation\":\"serializable\",\"transaction\":["
          + "{\"sql\":\"insert into t values ($1)\",\"params\":[1]},{\"sql\":\"select * from t\",\"rowMode\":\"object\"}]}",
      "{\"tenant\":\"acme\",\"transaction\":[{\"sql\":\"select 1\"}]}",
  })
  @DisplayName("toJson then fromJson gives an equal record")
  void roundTrip(String json) {
    QueryRequest original = QueryRequest.fromJson(req(json));
    QueryRequest again = QueryRequest.fromJson(original.toJson());
    assertThat(again).isEqualTo(original);
    // and the wire form is stable
    assertThat(again.toJson()).isEqualTo(original.toJson());
  }
}
