package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every value answers as the README's "Value encoding" table says, compared with the text
 * PostgreSQL itself prints for the same value, in the same request on the same connection
 * ({@code format('%s', v)}: the type's output function; {@code v::text} differs for a few types
 * with their own cast to text, such as bool, inet and char(n)), for 50 built-in types, their 1-D and 2-D arrays with NULLs, and edge values.
 * One connection per tenant, so statement caching and session settings are exercised for real.
 */
@DisplayName("Every value answers exactly as PostgreSQL has it")
class TypeFidelityTest {

  private static TestNode node;
  private static String tenant;
  private static String token;

  /** type → SQL literals of values of it (edges included). */
  private static final Map<String, List<String>> VALUES = new LinkedHashMap<>();

  static {
    put("bool", "true", "false");
    put("int2", "0", "-32768", "32767");
    put("int4", "-2147483648", "2147483647", "7");
    put("int8", "-9223372036854775808", "9223372036854775807", "9007199254740993");
    put("float4", "1.5", "'NaN'", "'Infinity'", "'-Infinity'", "3.4e38", "1e-37", "-0");
    put("float8", "0.1", "'NaN'", "'-Infinity'", "1e308", "-0", "4.9e-324", "123456789.123456789");
    put("numeric", "0.0000001", "0.0000000000000000", "'Infinity'", "'-Infinity'", "'NaN'", "1e-100",
        "repeat('9', 1000)::numeric", "-12345678901234567890.123456789");
    put("money", "3.3", "-92233720368547758.08");
    put("text", "''", "'héllo wörld ✓'", "'a\"b\\c'", "'NULL'", "E'line\\nbreak\\ttab'", "' {x,y} '");
    put("varchar", "'abc'", "''");
    put("bpchar", "'ab'::char(4)", "'x'");
    put("name", "'pg'", "'Mixed Case'");
    put("char", "'x'::\"char\"");
    put("bytea", "'\\xdeadbeef'::bytea", "''::bytea", "'\\x00'::bytea");
    put("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'");
    put("json", "'{\"a\": [1, 2.50, {\"b\": null}], \"c\": \"\\u00e9\"}'", "'1.000000000000000000001'", "'\"str\"'",
        "'[]'", "repeat('[', 100) || repeat(']', 100)");
    put("jsonb", "'{\"a\": [1, 2.50, {\"b\": null}]}'", "'1.000000000000000000001'", "'123456789012345678901234567890'",
        "'true'", "repeat('{\"k\":', 50) || '1' || repeat('}', 50)");
    put("date", "'2024-02-29'", "'infinity'", "'-infinity'", "'0044-03-15 BC'", "'4714-11-24 BC'", "'5874897-12-31'",
        "'0001-01-01 BC'", "'10000-01-01'");
    put("time", "'00:00'", "'23:59:59.999999'", "'24:00'", "'12:34:56.5'");
    put("timetz", "'04:05:06+05:30'", "'04:05:06-08'", "'00:00+00'", "'23:59:59.999999-15:59'");
    put("timestamp", "'infinity'", "'-infinity'", "'2024-01-02 03:04:05.123456'", "'0044-03-15 12:00 BC'",
        "'294276-12-31 23:59:59.999999'", "'4713-01-01 00:00 BC'");
    put("timestamptz", "'infinity'", "'-infinity'", "'2024-01-02 03:04:05.5+05:30'", "'4714-11-24 00:00:00+00 BC'",
        "'1900-01-01 00:00:00+00'", "'2024-06-01 12:00:00-08'");
    put("interval", "'40 days 01:32:01'", "'1 year 2 mons'", "'-178000000 years'", "'1 microsecond'",
        "'-1 day +02:03'", "'P1Y2M3DT4H5M6.5S'");
    put("inet", "'192.168.0.1/24'", "'::1'");
    put("cidr", "'10.0.0.0/8'");
    put("macaddr", "'08:00:2b:01:02:03'");
    put("macaddr8", "'08:00:2b:01:02:03:04:05'");
    put("point", "'(1,2)'", "'(1.5,-2.25)'");
    put("line", "'{1,2,3}'");
    put("lseg", "'[(0,0),(1,1)]'");
    put("box", "'(1,1),(0,0)'");
    put("path", "'[(0,0),(1,1),(2,0)]'");
    put("polygon", "'((0,0),(1,1),(1,0))'");
    put("circle", "'<(0,0),1>'");
    put("bit", "B'1010'::bit(4)");
    put("varbit", "B'101'::varbit");
    put("oid", "4294967295::oid", "0::oid");
    put("xid", "'42'::xid");
    put("pg_lsn", "'16/B374D848'");
    put("tsvector", "'a fat cat'");
    put("tsquery", "'fat & (rat | cat)'");
    put("xml", "'<a b=\"1\">x</a>'");
    put("int4range", "'[1,10)'", "'empty'");
    put("numrange", "'(1.5,2.5]'");
    put("daterange", "'[2024-01-01,2024-02-01)'");
    put("tsrange", "'[2024-01-01 00:00,infinity)'");
    put("tstzrange", "'[2024-01-01 00:00+00,2024-01-02 00:00+00)'");
    put("int4multirange", "'{[1,3),[5,7)}'");
    put("regclass", "'pg_class'");
    put("regtype", "'integer'");
    put("txid_snapshot", "'10:20:10,14,15'");
  }

  private static void put(String type, String... literals) {
    VALUES.put(type, List.of(literals));
  }

  @BeforeAll
  static void start() {
    node = TestNode.start("--compute.connectionsPerTenant=1");
    tenant = node.tenantId("types");
    token = node.createTenant(tenant);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonObject ok(JsonObject body) {
    HttpResponse<Buffer> response = node.query(tenant, token, body);
    assertThat(response.statusCode()).as(body.encode() + " → " + response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject sql(String sql, Object... params) {
    JsonObject body = new JsonObject().put("sql", sql).put("rowMode", "array");
    if (params.length > 0) {
      body.put("params", new JsonArray(java.util.Arrays.asList(params)));
    }
    return body;
  }

  @Test
  @DisplayName("50 built-in types: value, field type name and PostgreSQL's ::text agree (after the documented mapping)")
  void scalars() {
    assertThat(VALUES).hasSizeGreaterThanOrEqualTo(40);
    for (Map.Entry<String, List<String>> entry : VALUES.entrySet()) {
      String type = entry.getKey();
      List<String> rows = new ArrayList<>();
      for (String literal : entry.getValue()) {
        rows.add("(" + cast(literal, type) + ")");
      }
      JsonObject answer = ok(sql("select v, pg_catalog.format('%s', v), (select t.typname::text from pg_catalog.pg_type t where t.oid = pg_typeof(v)) "
          + "from (values " + String.join(", ", rows) + ") s(v)"));
      assertThat(answer.getJsonArray("fields").getJsonObject(0).getString("type")).as(type).isEqualTo(type);
      for (Object r : answer.getJsonArray("rows")) {
        JsonArray row = (JsonArray) r;
        assertThat(row.getValue(2)).isEqualTo(type);
        assertMapped(type, row.getValue(0), row.getString(1));
      }
    }
  }

  @Test
  @DisplayName("1-D arrays with NULLs and 2-D arrays of every type: nested JSON arrays, elements as their type answers")
  void arrays() {
    for (Map.Entry<String, List<String>> entry : VALUES.entrySet()) {
      String type = entry.getKey();
      if (type.equals("regclass") || type.equals("regtype") || type.equals("txid_snapshot")) {
        continue; // arrays of these exist too, but their element text is the same as above
      }
      String a = cast(entry.getValue().get(0), type);
      String b = cast(entry.getValue().get(entry.getValue().size() - 1), type);
      String oneD = "array[" + a + ", null, " + b + "]";
      String twoD = "array[array[" + a + ", " + b + "], array[null, " + a + "]]";
      for (String array : List.of(oneD, twoD)) {
        JsonObject answer = ok(sql("select v, (select pg_catalog.json_agg(case when x is null then null else pg_catalog.format('%s', x) end) from unnest(v) x), "
            + "array_length(v, 1), array_length(v, 2) from (select " + array + ") s(v)"));
        assertThat(answer.getJsonArray("fields").getJsonObject(0).getString("type")).isEqualTo("_" + type);
        JsonArray row = answer.getJsonArray("rows").getJsonArray(0);
        JsonArray value = row.getJsonArray(0);
        JsonArray elementTexts = (JsonArray) row.getValue(1);
        assertThat(value).as(type + " " + array).hasSize(row.getInteger(2));
        List<Object> flat = new ArrayList<>();
        flatten(value, row.getValue(3) == null ? 1 : 2, flat, row.getValue(3) == null ? -1 : row.getInteger(3));
        assertThat(flat).as(type + " " + array).hasSize(elementTexts.size());
        for (int i = 0; i < flat.size(); i++) {
          String text = elementTexts.getString(i);
          if (text == null) {
            assertThat(flat.get(i)).as(type + " element " + i).isNull();
          } else {
            assertMapped(type, flat.get(i), text);
          }
        }
      }
    }
  }

  private static void flatten(JsonArray array, int depth, List<Object> out, int innerLength) {
    for (Object element : array) {
      if (depth > 1) {
        assertThat(element).isInstanceOf(JsonArray.class);
        assertThat((JsonArray) element).hasSize(innerLength);
        flatten((JsonArray) element, depth - 1, out, innerLength);
      } else {
        out.add(element);
      }
    }
  }

  private static String cast(String literal, String type) {
    return literal.contains("::") ? literal : "(" + literal + ")::" + (type.equals("char") ? "\"char\"" : type);
  }

  /** The README's "Value encoding" table, applied to PostgreSQL's text of the value. */
  private static void assertMapped(String type, Object answer, String text) {
    String what = type + " " + text;
    switch (type) {
      case "bool" -> assertThat(answer).as(what).isEqualTo(text.equals("t"));
      case "int2", "int4" -> assertThat(answer).as(what).isEqualTo(Integer.parseInt(text));
      case "float4", "float8" -> {
        if (text.equals("NaN") || text.endsWith("Infinity")) {
          assertThat(answer).as(what).isEqualTo(text);
        } else {
          assertThat(((Number) answer).doubleValue()).as(what).isEqualTo(Double.parseDouble(text));
        }
      }
      case "json", "jsonb" -> assertThat(answer).as(what).isEqualTo(new JsonArray("[" + text + "]").getValue(0));
      case "date", "timestamp", "timestamptz" -> assertThat(answer).as(what).isEqualTo(isoDateTime(text));
      case "timetz" -> assertThat(answer).as(what).isEqualTo(isoOffset(text));
      default -> assertThat(answer).as(what).isEqualTo(text); // int8, numeric, interval, time, ... : the text
    }
  }

  /** The documented ISO-8601 form: T separator, +00 as Z, ±hh as ±hh:00, a BC suffix kept. */
  private static String isoDateTime(String text) {
    if (text.equals("infinity") || text.equals("-infinity")) {
      return text;
    }
    boolean bc = text.endsWith(" BC");
    String s = bc ? text.substring(0, text.length() - 3) : text;
    int dash = s.indexOf('-');
    String rest = s.substring(dash);
    if (rest.length() > 6) {
      rest = rest.substring(0, 6) + "T" + isoOffset(rest.substring(7));
    }
    return s.substring(0, dash) + rest + (bc ? " BC" : "");
  }

  private static String isoOffset(String time) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(.*\\d)([+-]\\d\\d)(:\\d\\d)?(:\\d\\d)?$").matcher(time);
    if (!m.matches()) {
      return time;
    }
    String hours = m.group(2);
    String minutes = m.group(3) == null ? ":00" : m.group(3);
    String seconds = m.group(4) == null ? "" : m.group(4);
    if (hours.substring(1).equals("00") && minutes.equals(":00") && seconds.isEmpty()) {
      return m.group(1) + "Z";
    }
    return m.group(1) + hours + minutes + seconds;
  }

  @Test
  @DisplayName("hand-checked answers: numeric digits, infinities, BC dates, intervals, json digits")
  void documentedExamples() {
    JsonArray row = ok(sql("select 0.0000001::numeric, 'inf'::numeric, '-infinity'::timestamptz, "
        + "'0044-03-15 BC'::date, '40 days 01:32:01'::interval, '{{1,2},{3,4}}'::int[], '[0:1]={1,2}'::int[], "
        + "'2024-01-02 03:04:05+00'::timestamptz at time zone 'UTC', '{\"x\": 1.000000000000000000001}'::jsonb, "
        + "'(1,2)'::point, 3.3::money, '1.2.3.4'::inet"))
        .getJsonArray("rows").getJsonArray(0);
    assertThat(row.getValue(0)).isEqualTo("0.0000001");
    assertThat(row.getValue(1)).isEqualTo("Infinity");
    assertThat(row.getValue(2)).isEqualTo("-infinity");
    assertThat(row.getValue(3)).isEqualTo("0044-03-15 BC");
    assertThat(row.getValue(4)).isEqualTo("40 days 01:32:01");
    assertThat(row.getJsonArray(5)).isEqualTo(new JsonArray("[[1,2],[3,4]]"));
    assertThat(row.getJsonArray(6)).isEqualTo(new JsonArray("[1,2]"));
    assertThat(row.getValue(7)).isEqualTo("2024-01-02T03:04:05");
    assertThat(row.getValue(9)).isEqualTo("(1,2)");
    assertThat(row.getValue(10)).isEqualTo("$3.30");
    assertThat(row.getValue(11)).isEqualTo("1.2.3.4");
    // the digits of a json number survive to the HTTP body (the client above reads doubles)
    String raw = node.query(tenant, token, sql("select '{\"x\": 1.000000000000000000001}'::jsonb")).bodyAsString();
    assertThat(raw).contains("1.000000000000000000001");
  }

  @Test
  @DisplayName("parameters round-trip: each answer sent back as a parameter reads as the same value")
  void parameterRoundTrips() {
    for (Map.Entry<String, List<String>> entry : VALUES.entrySet()) {
      String type = entry.getKey();
      if (type.equals("json")) {
        continue; // json keeps its input text verbatim (spaces and all); jsonb below compares values
      }
      for (String literal : entry.getValue()) {
        String typed = cast(literal, type);
        JsonArray row = ok(sql("select v, pg_catalog.format('%s', v) from (select " + typed + ") s(v)")).getJsonArray("rows").getJsonArray(0);
        // a bare ::bit means bit(1) and would cut the value: read it back as bit varying
        String sqlType = type.equals("char") ? "\"char\"" : type.equals("bit") ? "varbit" : type;
        JsonArray back = ok(sql("select pg_catalog.format('%s', $1::" + sqlType + "), $2::" + sqlType + "[]::text",
            row.getValue(0), type.equals("jsonb") ? null : new JsonArray().add(row.getValue(0)).addNull()))
            .getJsonArray("rows").getJsonArray(0);
        if (type.equals("money") || type.equals("bpchar")) {
          continue; // money reads its own text back ($), bpchar pads: checked by the ::text compare above
        }
        if (type.equals("jsonb")) { // this test's client reads JSON numbers as doubles: compare values
          assertThat(new JsonArray("[" + back.getString(0) + "]")).isEqualTo(new JsonArray("[" + row.getString(1) + "]"));
          continue;
        }
        assertThat(back.getString(0)).as(type + " " + literal).isEqualTo(row.getString(1));
        if (!type.equals("jsonb")) {
          assertThat(back.getString(1)).as(type + "[] " + literal).startsWith("{").endsWith("NULL}");
        }
      }
    }
    JsonArray nested = ok(sql("select $1::int4[]::text, $2::text[]::text, $3::jsonb::text",
        new JsonArray("[[1,2],[3,null]]"), new JsonArray("[\"a,b\", \"\\\"q\\\"\", \"NULL\", null, \"\", \"back\\\\slash\"]"),
        new JsonArray("[1, [2, \"x\"]]")))
        .getJsonArray("rows").getJsonArray(0);
    assertThat(nested.getString(0)).isEqualTo("{{1,2},{3,NULL}}");
    assertThat(nested.getString(1)).isEqualTo("{\"a,b\",\"\\\"q\\\"\",\"NULL\",NULL,\"\",\"back\\\\slash\"}");
    assertThat(nested.getString(2)).isEqualTo("[1, [2, \"x\"]]"); // an array for a jsonb parameter is JSON
    HttpResponse<Buffer> bad = node.query(tenant, token, sql("select $1::int4", "not a number"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getJsonObject("error").getString("sqlState")).isEqualTo("22P02");
  }

  @Test
  @DisplayName("the same text after SET DateStyle, TimeZone, standard_conforming_strings answers as a fresh parse")
  void settingsBetweenRuns() {
    JsonArray results = ok(new JsonObject().put("rowMode", "array").put("transaction", new JsonArray()
        .add(new JsonObject().put("sql", "select date '01/02/03', timestamptz '2024-01-01 00:00:00', 'a\\\\b'"))
        .add(new JsonObject().put("sql", "set DateStyle to ISO, DMY"))
        .add(new JsonObject().put("sql", "set TimeZone to 'Asia/Kolkata'"))
        .add(new JsonObject().put("sql", "set standard_conforming_strings to off"))
        .add(new JsonObject().put("sql", "select date '01/02/03', timestamptz '2024-01-01 00:00:00', 'a\\\\b'"))
        .add(new JsonObject().put("sql", "set DateStyle to SQL, DMY"))
        .add(new JsonObject().put("sql", "select date '01/02/03', date '01/02/03'::text"))
        .add(new JsonObject().put("sql", "reset DateStyle"))
        .add(new JsonObject().put("sql", "reset TimeZone"))
        .add(new JsonObject().put("sql", "reset standard_conforming_strings"))))
        .getJsonArray("results");
    JsonArray before = results.getJsonObject(0).getJsonArray("rows").getJsonArray(0);
    JsonArray after = results.getJsonObject(4).getJsonArray("rows").getJsonArray(0);
    assertThat(before.getValue(0)).isEqualTo("2003-01-02");
    assertThat(after.getValue(0)).isEqualTo("2003-02-01");
    assertThat(after.getString(1)).isEqualTo("2024-01-01T00:00:00+05:30");
    assertThat(before.getString(1)).isNotEqualTo(after.getString(1));
    assertThat(before.getValue(2)).isEqualTo("a\\\\b");
    assertThat(after.getValue(2)).isEqualTo("a\\b");
    // a DateStyle other than ISO: the text as PostgreSQL prints it
    JsonArray sqlStyle = results.getJsonObject(6).getJsonArray("rows").getJsonArray(0);
    assertThat(sqlStyle.getValue(0)).isEqualTo("01/02/2003").isEqualTo(sqlStyle.getValue(1));
  }

  @Test
  @DisplayName("a table re-created with other column types: the cached statement is re-prepared, no 0A000")
  void recreatedTable() {
    ok(sql("create table shifting (a int4)"));
    ok(sql("insert into shifting values (1)"));
    assertThat(ok(sql("select * from shifting")).getJsonArray("rows").getJsonArray(0).getValue(0)).isEqualTo(1);
    ok(sql("drop table shifting"));
    ok(sql("create table shifting (a text, b bool)"));
    ok(sql("insert into shifting values ('x', true)"));
    JsonObject again = ok(sql("select * from shifting"));
    assertThat(again.getJsonArray("fields").getJsonObject(0).getString("type")).isEqualTo("text");
    assertThat(again.getJsonArray("rows").getJsonArray(0)).isEqualTo(new JsonArray().add("x").add(true));
  }

  @Test
  @DisplayName("rowCount and command come from PostgreSQL's command tag")
  void commandTags() {
    JsonObject created = ok(sql("create table tagged as select g from generate_series(1, 3) g"));
    assertThat(created.getString("command")).isEqualTo("SELECT");
    assertThat(created.getInteger("rowCount")).isEqualTo(3);
    JsonObject merged = ok(sql("merge into tagged t using (select 2 as g) s on t.g = s.g "
        + "when matched then update set g = t.g"));
    assertThat(merged.getString("command")).isEqualTo("MERGE");
    assertThat(merged.getInteger("rowCount")).isEqualTo(1);
    JsonObject ddl = ok(sql("create index on tagged (g)"));
    assertThat(ddl.getString("command")).isEqualTo("CREATE");
    assertThat(ddl.getValue("rowCount")).isNull();
  }

  @Test
  @DisplayName("enums, composites and ranges of the tenant answer under their own type names, domains as their base")
  void userTypes() {
    ok(sql("create type mood as enum ('sad', 'happy')"));
    ok(sql("create domain posint as int4 check (value > 0)"));
    ok(sql("create type pair as (a int4, b text)"));
    ok(sql("create type floatrange as range (subtype = float8)"));
    JsonObject answer = ok(sql("select 'happy'::mood, 5::posint, row(1, 'x y')::pair, '[1.5,2.5)'::floatrange, "
        + "array['sad', 'happy']::mood[]"));
    JsonArray fields = answer.getJsonArray("fields");
    assertThat(fields.getJsonObject(0).getString("type")).isEqualTo("mood");
    // PostgreSQL's RowDescription describes a domain column by its base type
    assertThat(fields.getJsonObject(1).getString("type")).isEqualTo("int4");
    assertThat(fields.getJsonObject(2).getString("type")).isEqualTo("pair");
    assertThat(fields.getJsonObject(3).getString("type")).isEqualTo("floatrange");
    assertThat(fields.getJsonObject(4).getString("type")).isEqualTo("_mood");
    JsonArray row = answer.getJsonArray("rows").getJsonArray(0);
    assertThat(row.getValue(0)).isEqualTo("happy");
    assertThat(row.getValue(1)).isEqualTo(5);
    assertThat(row.getValue(2)).isEqualTo("(1,\"x y\")");
    assertThat(row.getValue(3)).isEqualTo("[1.5,2.5)");
    assertThat(row.getJsonArray(4)).isEqualTo(new JsonArray().add("sad").add("happy"));
  }

  @Test
  @DisplayName("the TEXT format answers PostgreSQL's text and its RowDescription")
  void textFormat() {
    JsonObject answer = ok(sql("select 1::int4 as one, null::text as nothing, '{1,2}'::int[] as arr, 'inf'::numeric as n")
        .put("format", "text"));
    JsonArray fields = answer.getJsonArray("fields");
    assertThat(fields.getJsonObject(0)).isEqualTo(new JsonObject().put("name", "one").put("dataTypeID", 23)
        .put("tableID", 0).put("columnID", 0).put("dataTypeSize", 4).put("dataTypeModifier", -1).put("format", "text"));
    assertThat(fields.getJsonObject(2).getInteger("dataTypeID")).isEqualTo(1007);
    assertThat(answer.getJsonArray("rows").getJsonArray(0))
        .isEqualTo(new JsonArray().add("1").addNull().add("{1,2}").add("Infinity"));
    assertThat(answer.getString("command")).isEqualTo("SELECT");
    assertThat(answer.getInteger("rowCount")).isEqualTo(1);
  }
}
