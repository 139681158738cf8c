package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Bad input gets a documented JSON error and the node keeps serving")
class BadInputTest {

  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  private static TestNode node;
  private static String tenant;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start("--limits.maxBodyBytes=2048");
    tenant = node.tenantId("bad");
    token = node.createTenant(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "not JSON                  | select 1",
      "a JSON array              | [1,2]",
      "empty object (no sql)     | {}",
      "sql is a number           | {\"sql\": 42}",
      "sql is blank              | {\"sql\": \"  \"}",
      "params is an object       | {\"sql\": \"select $1\", \"params\": {\"a\": 1}}",
      "both sql and transaction  | {\"sql\": \"select 1\", \"transaction\": []}",
      "empty transaction         | {\"transaction\": []}",
      "bad rowMode               | {\"sql\": \"select 1\", \"rowMode\": \"table\"}",
      "bad isolation             | {\"sql\": \"select 1\", \"isolation\": \"chaos\"}",
      "readOnly not boolean      | {\"sql\": \"select 1\", \"readOnly\": \"yes\"}",
      "wrong parameter count     | {\"sql\": \"select $1::int4\", \"params\": [1, 2]}",
      "BEGIN on its own          | {\"sql\": \"begin\"}",
      "COMMIT inside a batch     | {\"transaction\": [{\"sql\": \"select 1\"}, {\"sql\": \"commit\"}]}",
      "COPY                      | {\"sql\": \"copy (select 1) to stdout\"}",
  })
  void invalidRequests(String name, String body) {
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, body, JSON), 400, "invalid_request");
    assertThat(node.get("/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("every documented client error of the query path")
  void documentedErrors() {
    String select = "{\"sql\": \"select 1\"}";
    assertError(node.send(HttpMethod.POST, "/v1/query/Not_Valid", token, select, JSON), 400, "invalid_tenant");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, "{\"sql\": \"selec 1\"}", JSON),
        400, "sql_error");
    // parameters travel as text and PostgreSQL parses them: its own error, with its SQLSTATE
    HttpResponse<Buffer> badParam = node.send(HttpMethod.POST, "/v1/query/" + tenant, token,
        "{\"sql\": \"select $1::int4\", \"params\": [\"twelve\"]}", JSON);
    assertError(badParam, 400, "sql_error");
    assertThat(badParam.bodyAsJsonObject().getJsonObject("error").getString("sqlState")).isEqualTo("22P02");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, null, select, JSON), 401, "unauthorized");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, "wrong", select, JSON), 401, "unauthorized");
    assertError(node.send(HttpMethod.GET, "/v1/nothing-here", token, null, null), 404, "not_found");
    assertError(node.send(HttpMethod.GET, "/v1/query/" + tenant, token, null, null), 405, "method_not_allowed");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, "{\"sql\": \"" + "x".repeat(4096) + "\"}",
        JSON), 413, "payload_too_large");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, select, Map.of("Content-Type", "text/plain")),
        415, "unsupported_media_type");
    assertError(node.send(HttpMethod.POST, "/v1/query/" + tenant, token, select, null), 415, "unsupported_media_type");
    assertError(node.send(HttpMethod.PUT, "/v1/tenants/" + tenant, token, null, null), 401, "unauthorized");
    assertError(node.send(HttpMethod.GET, "/v1/tenants/" + node.tenantId("ghost"), TestNode.ADMIN_TOKEN, null, null),
        404, "tenant_not_found");
    assertError(node.send(HttpMethod.PUT, "/v1/tenants/" + tenant, TestNode.ADMIN_TOKEN, null, null),
        409, "tenant_exists");

    HttpResponse<Buffer> sqlError = node.send(HttpMethod.POST, "/v1/query/" + tenant, token,
        "{\"sql\": \"select nope from generate_series(1, 2)\"}", JSON);
    JsonObject error = sqlError.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("sqlState")).isEqualTo("42703");
    assertThat(error.getInteger("position")).isEqualTo(8);

    assertThat(node.query(tenant, token, new JsonObject().put("sql", "select 1")).statusCode()).isEqualTo(200);
  }
}
