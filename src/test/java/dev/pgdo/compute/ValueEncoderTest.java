package dev.pgdo.compute;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("PostgreSQL's text into API.md's JSON values")
class ValueEncoderTest {

  private static Object encode(String text, int oid) {
    return ValueEncoder.encode(text, PgType.builtIn(oid), true);
  }

  @Test
  void scalars() {
    assertThat(encode("t", 16)).isEqualTo(true);
    assertThat(encode("-32768", 21)).isEqualTo(-32768);
    assertThat(encode("NaN", 701)).isEqualTo("NaN");
    assertThat(encode("1e+100", 701)).isEqualTo(1e100);
    assertThat(encode("0.0000001", 1700)).isEqualTo("0.0000001");
    assertThat(encode("9223372036854775807", 20)).isEqualTo("9223372036854775807");
    assertThat(encode("1 year 2 mons", 1186)).isEqualTo("1 year 2 mons");
  }

  @Test
  void datesAndTimes() {
    assertThat(encode("2024-01-02 03:04:05.5+05:30", 1184)).isEqualTo("2024-01-02T03:04:05.5+05:30");
    assertThat(encode("2024-01-02 03:04:05+00", 1184)).isEqualTo("2024-01-02T03:04:05Z");
    assertThat(encode("2024-01-02 03:04:05-08", 1184)).isEqualTo("2024-01-02T03:04:05-08:00");
    assertThat(encode("1900-01-01 00:00:00+00:53:28", 1184)).isEqualTo("1900-01-01T00:00:00+00:53:28");
    assertThat(encode("0044-03-15 12:00:00+00 BC", 1184)).isEqualTo("0044-03-15T12:00:00Z BC");
    assertThat(encode("-infinity", 1184)).isEqualTo("-infinity");
    assertThat(encode("294276-12-31 23:59:59.999999", 1114)).isEqualTo("294276-12-31T23:59:59.999999");
    assertThat(encode("0044-03-15 BC", 1082)).isEqualTo("0044-03-15 BC");
    assertThat(encode("04:05:06+00", 1266)).isEqualTo("04:05:06Z");
    assertThat(ValueEncoder.encode("01/02/2003", PgType.builtIn(1082), false)).isEqualTo("01/02/2003");
  }

  @Test
  void json() {
    Object doc = encode("{\"a\": [1, 1.000000000000000000001, null, \"s\"]}", 3802);
    assertThat(((io.vertx.core.json.JsonObject) doc).getJsonArray("a").getValue(1))
        .isEqualTo(new BigDecimal("1.000000000000000000001"));
    assertThat(((io.vertx.core.json.JsonObject) doc).encode()).contains("1.000000000000000000001");
    assertThat(encode("123456789012345678901234567890", 3802)).isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
  }

  @Test
  void arrays() {
    assertThat(encode("{{1,2},{NULL,4}}", 1007)).isEqualTo(new JsonArray("[[1,2],[null,4]]"));
    assertThat(encode("[0:1]={1,2}", 1007)).isEqualTo(new JsonArray("[1,2]"));
    assertThat(encode("{\"a b\",NULL,\"\",\"NULL\",\"x\\\"y\",\"back\\\\slash\"}", 1009))
        .isEqualTo(new JsonArray().add("a b").addNull().add("").add("NULL").add("x\"y").add("back\\slash"));
    assertThat(encode("{(1,1),(0,0);(2,2),(1,1)}", 1020)).isEqualTo(new JsonArray().add("(1,1),(0,0)").add("(2,2),(1,1)"));
    assertThat(encode("{}", 1007)).isEqualTo(new JsonArray());
    assertThat(encode("{\"0044-03-15 BC\",infinity}", 1182)).isEqualTo(new JsonArray().add("0044-03-15 BC").add("infinity"));
    assertThat(encode("{\"{\\\"k\\\": 1}\"}", 3807)).isEqualTo(new JsonArray("[{\"k\":1}]"));
  }

  @Test
  void commandTags() {
    assertThat(CommandTag.parse("INSERT 0 3")).isEqualTo(new CommandTag("INSERT", 3L));
    assertThat(CommandTag.parse("SELECT 3").verb()).isEqualTo("SELECT");
    assertThat(CommandTag.parse("CREATE TABLE")).isEqualTo(new CommandTag("CREATE TABLE", null));
    assertThat(CommandTag.parse("CREATE TABLE").verb()).isEqualTo("CREATE");
    assertThat(CommandTag.parse("MERGE 2").count()).isEqualTo(2L);
  }

  @Test
  void parameters() {
    assertThat(ParamBinder.arrayLiteral(new JsonArray("[[1,2],[null,\"a,\\\"b\"]]"), ','))
        .isEqualTo("{{\"1\",\"2\"},{NULL,\"a,\\\"b\"}}");
    assertThat(ParamBinder.bind(new JsonArray("[0.1, 1e-7, 12, true, null, {\"a\":1}]"), null).getValue(1))
        .isEqualTo("0.0000001");
  }

  @Test
  void statementCache() {
    assertThat(StatementCachePolicy.cacheable("select * from t where id = $1")).isTrue();
    assertThat(StatementCachePolicy.cacheable("select date '01/02/03'")).isFalse();
    assertThat(StatementCachePolicy.cacheable("select $$x$$")).isFalse();
  }
}
