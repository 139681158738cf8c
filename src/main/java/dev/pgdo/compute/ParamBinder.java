package dev.pgdo.compute;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;

import java.math.BigDecimal;
import java.util.List;

/**
 * Turns JSON parameters into PostgreSQL text, which the client sends in text format (the
 * {@link WireTap} makes every parameter type {@code unknown} to it), so PostgreSQL parses each
 * value with its parameter type's input function, as it does for psql: null → NULL; a string
 * as it is; a number as its JSON digits; a boolean as {@code true}/{@code false}; an object as
 * its JSON text; an array as an array literal (nested arrays → a multi-dimensional array),
 * except for a json/jsonb parameter, which gets the array's JSON text. A value PostgreSQL cannot
 * read fails with its own error (22P02 and friends). Values are bound, never spliced into SQL.
 * Stateless.
 */
final class ParamBinder {

  private ParamBinder() {
  }

  /** True when the binding depends on the parameter types (an array could be json or an array type). */
  static boolean needsTypes(JsonArray params) {
    for (int i = 0; i < params.size(); i++) {
      if (params.getValue(i) instanceof JsonArray) {
        return true;
      }
    }
    return false;
  }

  /** @param types the parameters' {@code pg_type} names, or null when no parameter is an array */
  static Tuple bind(JsonArray params, List<String> types) {
    Tuple tuple = Tuple.tuple(new java.util.ArrayList<>(params.size()));
    for (int i = 0; i < params.size(); i++) {
      Object value = params.getValue(i);
      boolean json = types != null && i < types.size() && types.get(i).startsWith("json");
      tuple.addValue(value instanceof JsonArray array && !json ? arrayLiteral(array) : text(value));
    }
    return tuple;
  }

  private static String text(Object value) {
    if (value == null || value instanceof String) {
      return (String) value;
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      return Json.encode(value);
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      // BigDecimal.valueOf keeps the shortest digits of the double: 0.1 stays "0.1", 1e-7 "0.0000001"
      return Double.isFinite(d) ? BigDecimal.valueOf(d).stripTrailingZeros().toPlainString() : Double.toString(d);
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.toPlainString();
    }
    return value.toString(); // Integer, Long, BigInteger, Boolean
  }

  /** {@code ["a", null, ["b"]]} → {@code {"a",NULL,{"b"}}}: every string quoted, so no content is special. */
  static String arrayLiteral(JsonArray array) {
    StringBuilder out = new StringBuilder().append('{');
    for (int i = 0; i < array.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      Object element = array.getValue(i);
      if (element == null) {
        out.append("NULL");
      } else if (element instanceof JsonArray nested) {
        out.append(arrayLiteral(nested));
      } else {
        String text = text(element);
        out.append('"');
        for (int c = 0; c < text.length(); c++) {
          char ch = text.charAt(c);
          if (ch == '"' || ch == '\\') {
            out.append('\\');
          }
          out.append(ch);
        }
        out.append('"');
      }
    }
    return out.append('}').toString();
  }
}
