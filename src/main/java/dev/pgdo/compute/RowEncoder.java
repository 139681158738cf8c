package dev.pgdo.compute;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.data.Interval;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import io.vertx.sqlclient.desc.ColumnDescriptor;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Encodes rows as API.md's value table says: int8 and numeric as strings (no precision loss),
 * NaN/Infinity as strings, times as ISO-8601, bytea as {@code "\\x<hex>"}, json embedded,
 * arrays as JSON arrays. Stateless.
 */
final class RowEncoder {

  private RowEncoder() {
  }

  /** {@code [{"name", "type"}]}; the type is PostgreSQL's type name, arrays as {@code _int4}. */
  static JsonArray fields(List<ColumnDescriptor> columns) {
    JsonArray fields = new JsonArray();
    for (ColumnDescriptor column : columns) {
      fields.add(new JsonObject().put("name", column.name()).put("type", typeName(column)));
    }
    return fields;
  }

  static String typeName(ColumnDescriptor column) {
    String name = column.typeName().toLowerCase(Locale.ROOT);
    return name.endsWith("_array") ? "_" + name.substring(0, name.length() - "_array".length()) : name;
  }

  static Object row(Row row, List<ColumnDescriptor> columns, boolean asArray) {
    if (asArray) {
      JsonArray values = new JsonArray();
      for (int i = 0; i < columns.size(); i++) {
        values.add(value(row.getValue(i), isJson(columns.get(i))));
      }
      return values;
    }
    JsonObject values = new JsonObject();
    for (int i = 0; i < columns.size(); i++) {
      values.put(columns.get(i).name(), value(row.getValue(i), isJson(columns.get(i))));
    }
    return values;
  }

  private static boolean isJson(ColumnDescriptor column) {
    String type = column.typeName();
    return type.startsWith("JSON");
  }

  static Object value(Object v, boolean json) {
    if (v == null || v == Tuple.JSON_NULL) {
      return null;
    }
    if (json) {
      return v instanceof Object[] array ? jsonArray(array, true) : v; // already JSON values
    }
    if (v instanceof Boolean || v instanceof Short || v instanceof Integer || v instanceof String) {
      return v;
    }
    if (v instanceof Long || v instanceof Numeric || v instanceof BigDecimal || v instanceof BigInteger) {
      return v.toString();
    }
    if (v instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? d.toString() : d;
    }
    if (v instanceof Float f) {
      return f.isNaN() || f.isInfinite() ? f.toString() : f;
    }
    if (v instanceof Buffer buffer) {
      return "\\x" + HexFormat.of().formatHex(buffer.getBytes());
    }
    if (v instanceof Object[] array) {
      return jsonArray(array, false);
    }
    if (v instanceof LocalDate d) {
      return d.equals(LocalDate.MAX) ? "infinity" : d.equals(LocalDate.MIN) ? "-infinity"
          : DateTimeFormatter.ISO_LOCAL_DATE.format(d);
    }
    if (v instanceof LocalDateTime t) {
      return t.equals(LocalDateTime.MAX) ? "infinity" : t.equals(LocalDateTime.MIN) ? "-infinity"
          : DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t);
    }
    if (v instanceof OffsetDateTime t) {
      return t.equals(OffsetDateTime.MAX) ? "infinity" : t.equals(OffsetDateTime.MIN) ? "-infinity"
          : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
    }
    if (v instanceof LocalTime t) {
      return DateTimeFormatter.ISO_LOCAL_TIME.format(t);
    }
    if (v instanceof OffsetTime t) {
      return DateTimeFormatter.ISO_OFFSET_TIME.format(t);
    }
    if (v instanceof Interval i) {
      return isoDuration(i);
    }
    return v.toString(); // uuid, enums, inet, geometric types, ...
  }

  private static JsonArray jsonArray(Object[] array, boolean json) {
    JsonArray out = new JsonArray();
    for (Object element : array) {
      out.add(value(element, json));
    }
    return out;
  }

  /** An interval as an ISO-8601 duration, e.g. {@code P1Y2M3DT4H5M6.5S}. */
  private static String isoDuration(Interval i) {
    BigDecimal seconds = BigDecimal.valueOf(i.getSeconds()).add(BigDecimal.valueOf(i.getMicroseconds(), 6));
    return "P" + i.getYears() + "Y" + i.getMonths() + "M" + i.getDays() + "DT" + i.getHours() + "H"
        + i.getMinutes() + "M" + seconds.stripTrailingZeros().toPlainString() + "S";
  }

  /** A cheap upper-bound-ish estimate of a value's JSON size, used to stop collecting early. */
  static long estimateBytes(Object v) {
    if (v == null) {
      return 4;
    }
    if (v instanceof String s) {
      return s.length() + 2L;
    }
    if (v instanceof Buffer b) {
      return 2L * b.length() + 4;
    }
    if (v instanceof Object[] array) {
      long total = 2;
      for (Object element : array) {
        total += estimateBytes(element) + 1;
      }
      return total;
    }
    if (v instanceof JsonObject || v instanceof JsonArray) {
      return v.toString().length();
    }
    return 24;
  }
}
