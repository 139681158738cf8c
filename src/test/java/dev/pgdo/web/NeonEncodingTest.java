package dev.pgdo.web;

import dev.pgdo.bus.PgdoException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Neon dialect: connection strings, answers and errors as the driver reads them")
class NeonEncodingTest {

  @Test
  @DisplayName("user, password and database are %-decoded as WHATWG URLs encode them; '+' stays '+'")
  void connectionString() {
    NeonConnectionString parsed = NeonConnectionString.parse(
        "postgresql://acme:p%40ss+w%3Ard@api.example:5432/acme?sslmode=require&application_name=x");
    assertThat(parsed).isEqualTo(new NeonConnectionString("acme", "p@ss+w:rd", "acme"));
    assertThat(NeonConnectionString.parse("postgres://acme@127.0.0.1/acme").password()).isNull();
    assertThat(NeonConnectionString.parse("postgres://acme:@127.0.0.1/acme").password()).isNull();
  }

  @Test
  @DisplayName("a malformed connection string never echoes its password")
  void noPasswordInErrors() {
    assertThatThrownBy(() -> NeonConnectionString.parse("postgresql://acme:s3cret@host/a/b"))
        .isInstanceOf(PgdoException.class).message().doesNotContain("s3cret");
    assertThatThrownBy(() -> NeonConnectionString.parse("postgresql://acme:s3 cret@host/a"))
        .isInstanceOf(PgdoException.class).message().doesNotContain("s3");
  }

  private static JsonObject textResult(String command, Integer rowCount) {
    return new JsonObject().put("command", command).put("rowCount", rowCount)
        .put("fields", new JsonArray().add(new JsonObject().put("name", "a").put("dataTypeID", 23).put("tableID", 0)
            .put("columnID", 0).put("dataTypeSize", 4).put("dataTypeModifier", -1).put("format", "text"))
            .add(new JsonObject().put("name", "a").put("dataTypeID", 25).put("tableID", 0)
            .put("columnID", 0).put("dataTypeSize", -1).put("dataTypeModifier", -1).put("format", "text")))
        .put("rows", new JsonArray().add(new JsonArray().add("1").addNull()))
        .put("compute", new JsonObject().put("address", "shared-compute.enam.0"))
        .put("timings", new JsonObject().put("totalMs", 1.0));
  }

  @Test
  @DisplayName("answers: the tag's first word, rows as arrays or keyed (a later column wins), no compute/timings")
  void answers() {
    JsonObject array = NeonAnswers.encode(textResult("CREATE TABLE", null), true);
    assertThat(array.fieldNames()).containsExactly("command", "rowCount", "rows", "fields", "rowAsArray");
    assertThat(array.getString("command")).isEqualTo("CREATE");
    assertThat(array.getValue("rowCount")).isNull();
    assertThat(array.getJsonArray("rows").getJsonArray(0)).isEqualTo(new JsonArray().add("1").addNull());
    JsonObject keyed = NeonAnswers.encode(textResult("SELECT", 1), false);
    assertThat(keyed.getJsonArray("rows").getJsonObject(0)).isEqualTo(new JsonObject().putNull("a"));
    JsonObject batch = NeonAnswers.encode(new JsonObject().put("results",
        new JsonArray().add(textResult("INSERT", 2))), true);
    assertThat(batch.fieldNames()).containsExactly("results");
    assertThat(batch.getJsonArray("results").getJsonObject(0).getValue("rowCount")).isEqualTo(2);
  }

  @Test
  @DisplayName("errors: SQL errors flat with a string position; timeout 57014 and bad token 28P01 as 400s; 507")
  void errors() {
    JsonObject sql = new JsonObject().put("error", new JsonObject().put("code", "sql_error")
        .put("message", "boom").put("sqlState", "23505").put("position", 12).put("constraint", "t_pkey")
        .put("severity", "ERROR"));
    NeonErrors.Answer answer = NeonErrors.encode(new ErrorResponses.Resolved(400, sql), "acme");
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body()).isEqualTo(new JsonObject().put("message", "boom").put("code", "23505")
        .put("position", "12").put("severity", "ERROR").put("constraint", "t_pkey"));

    NeonErrors.Answer timeout = NeonErrors.encode(resolved(504, "query_timeout"), "acme");
    assertThat(timeout.status()).isEqualTo(400);
    assertThat(timeout.body().getString("code")).isEqualTo("57014");

    NeonErrors.Answer denied = NeonErrors.encode(resolved(401, "unauthorized"), "acme");
    assertThat(denied.status()).isEqualTo(400);
    assertThat(denied.body().getString("code")).isEqualTo("28P01");
    assertThat(denied.body().getString("message")).isEqualTo("password authentication failed for user \"acme\"");

    assertThat(NeonErrors.encode(resolved(413, "result_too_large"), "acme").status()).isEqualTo(507);
    assertThat(NeonErrors.encode(resolved(413, "payload_too_large"), "acme").status()).isEqualTo(413);
    NeonErrors.Answer busy = NeonErrors.encode(resolved(429, "too_many_requests"), "acme");
    assertThat(busy.status()).isEqualTo(429);
    assertThat(busy.body().fieldNames()).containsExactly("message");
  }

  private static ErrorResponses.Resolved resolved(int status, String code) {
    return new ErrorResponses.Resolved(status, new JsonObject().put("error",
        new JsonObject().put("code", code).put("message", "m")));
  }
}
