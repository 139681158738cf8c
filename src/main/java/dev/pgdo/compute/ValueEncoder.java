package dev.pgdo.compute;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * Turns one value as PostgreSQL printed it (its output function's text) into the JSON value
 * API.md and the README's "Value encoding" table give for its type. Never throws for a value
 * PostgreSQL printed: a text it does not expect answers as that text, a JSON string. Stateless.
 */
final class ValueEncoder {

  private ValueEncoder() {
  }

  /**
   * @param isoDates false when the session's DateStyle prints another style than ISO: dates and
   *                 times then answer PostgreSQL's text as it is
   */
  static Object encode(String text, PgType type, boolean isoDates) {
    try {
      return switch (type.kind()) {
        case BOOL -> text.equals("t") ? Boolean.TRUE : text.equals("f") ? Boolean.FALSE : text;
        case INTEGER -> Integer.valueOf(text);
        case FLOAT -> floating(text);
        case JSON -> json(text);
        case DATE, TIMESTAMP -> isoDates ? isoDateTime(text, false) : text;
        case TIMESTAMPTZ -> isoDates ? isoDateTime(text, true) : text;
        case TIME -> text;
        case TIMETZ -> isoDates ? isoOffset(text, 0) : text;
        case ARRAY -> ArrayLiteral.parse(text, type, isoDates);
        case TEXT -> text;
      };
    } catch (RuntimeException unexpected) {
      return text;
    }
  }

  private static Object floating(String text) {
    return switch (text) {
      case "NaN", "Infinity", "-Infinity" -> text;
      default -> Double.valueOf(text);
    };
  }

  // ------------------------------------------------------------------ date and time

  /**
   * PostgreSQL's ISO output ({@code 2024-01-02 03:04:05.5+05:30}, {@code 0044-03-15 BC})
   * as ISO-8601: {@code T} between date and time, a zero offset as {@code Z}, an hour-only
   * offset with {@code :00}, a BC year as the astronomical year ({@code 1 BC} = {@code 0000},
   * {@code 44 BC} = {@code -0043}); {@code infinity}/{@code -infinity} as they are.
   */
  static String isoDateTime(String text, boolean withOffset) {
    int length = text.length();
    if (length < 10 || text.charAt(0) == 'i' || text.charAt(0) == '-') {
      return text; // infinity, -infinity
    }
    boolean bc = text.endsWith(" BC");
    if (bc) {
      length -= 3;
    }
    int yearEnd = text.indexOf('-');
    StringBuilder out = new StringBuilder(length + 4);
    if (bc) {
      int year = Integer.parseInt(text, 0, yearEnd, 10) - 1;
      if (year > 0) {
        out.append('-');
      }
      String digits = Integer.toString(year);
      for (int pad = digits.length(); pad < 4; pad++) {
        out.append('0');
      }
      out.append(digits);
    } else {
      out.append(text, 0, yearEnd);
    }
    int dateEnd = yearEnd + 6;
    out.append(text, yearEnd, Math.min(dateEnd, length));
    if (length > dateEnd) {
      out.append('T');
      String time = text.substring(dateEnd + 1, length);
      out.append(withOffset ? isoOffset(time, 0) : time);
    }
    return out.toString();
  }

  /** {@code hh:mm:ss[.f]±hh[:mm[:ss]]}: {@code +00} as {@code Z}, {@code ±hh} as {@code ±hh:00}. */
  private static String isoOffset(String time, int from) {
    int sign = Math.max(time.lastIndexOf('+'), time.lastIndexOf('-'));
    if (sign < from + 8) {
      return time;
    }
    String offset = time.substring(sign);
    if (offset.equals("+00") || offset.equals("-00") || offset.equals("+00:00")) {
      return time.substring(0, sign) + 'Z';
    }
    return offset.length() == 3 ? time + ":00" : time;
  }

  // ------------------------------------------------------------------ json and jsonb

  /**
   * The document as JSON values. Numbers keep every digit: integers of any size stay exact and
   * fractions stay {@link BigDecimal}s (a double would round {@code 1.000000000000000000001}).
   */
  static Object json(String text) {
    try (JsonParser parser = JacksonCodec.createParser(text)) {
      parser.nextToken();
      return jsonValue(parser);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Object jsonValue(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT: {
        JsonObject object = new JsonObject();
        for (JsonToken next = parser.nextToken(); next == JsonToken.FIELD_NAME; next = parser.nextToken()) {
          String name = parser.currentName();
          parser.nextToken();
          object.put(name, jsonValue(parser));
        }
        return object;
      }
      case START_ARRAY: {
        JsonArray array = new JsonArray();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
          array.add(jsonValue(parser));
        }
        return array;
      }
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
        return parser.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        return parser.getDecimalValue(); // printed back as its own digits, not rounded to a double
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IllegalArgumentException("unexpected JSON token " + token);
    }
  }
}
