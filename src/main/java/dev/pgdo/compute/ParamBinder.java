package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Turns JSON parameters into the Java values the Vert.x PostgreSQL client encodes for each
 * parameter type.
 *
 * <p>The client checks every value against the type PostgreSQL inferred for its parameter
 * ({@code "42"} is refused for an {@code int8}), while API.md promises that strings bind to
 * numeric types ("send int8/numeric as strings"). So {@link #forTypes} converts each value to
 * what the inferred PostgreSQL type (a {@code pg_type.typname}) needs, the way PostgreSQL would
 * read the value as text. Values are always bound, never spliced into SQL. Stateless.
 */
final class ParamBinder {

  private ParamBinder() {
  }

  static Tuple forTypes(JsonArray params, List<String> types) {
    if (types.size() != params.size()) {
      throw new PgdoException(ErrorCode.INVALID_REQUEST,
          "the statement takes " + types.size() + " parameter(s) but " + params.size() + " were given");
    }
    Tuple tuple = Tuple.tuple();
    for (int i = 0; i < params.size(); i++) {
      try {
        tuple.addValue(convert(params.getValue(i), types.get(i)));
      } catch (NumberFormatException | ArithmeticException e) {
        throw new PgdoException(ErrorCode.INVALID_REQUEST,
            "params[" + i + "] is not a valid " + types.get(i) + " (a number out of range or malformed)");
      } catch (IllegalArgumentException | DateTimeParseException | DecodeException e) {
        throw new PgdoException(ErrorCode.INVALID_REQUEST,
            "params[" + i + "] is not a valid " + types.get(i) + ": " + e.getMessage());
      }
    }
    return tuple;
  }

  private static Object convert(Object value, String type) {
    if (value == null) {
      return null;
    }
    if (type.startsWith("_")) {
      return convertArray(value, type.substring(1));
    }
    return switch (type) {
      case "int2" -> integral(value).shortValueExact();
      case "int4" -> integral(value).intValueExact();
      case "int8", "oid" -> integral(value).longValueExact();
      case "float4" -> (float) floating(value);
      case "float8" -> floating(value);
      case "numeric" -> value instanceof String s ? Numeric.parse(s.trim()) : Numeric.create((Number) number(value));
      case "bool" -> bool(value);
      case "json", "jsonb" -> json(value);
      case "uuid" -> UUID.fromString(text(value).trim());
      case "date" -> LocalDate.parse(text(value).trim());
      case "time" -> LocalTime.parse(text(value).trim());
      case "timetz" -> OffsetTime.parse(text(value).trim());
      case "timestamp" -> LocalDateTime.parse(isoDateTime(value));
      case "timestamptz" -> timestamptz(isoDateTime(value));
      case "bytea" -> bytea(value);
      default -> text(value); // text, varchar, name, enums and any type PostgreSQL reads from text
    };
  }

  private static Object convertArray(Object value, String elementType) {
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("expected a JSON array");
    }
    // The client picks its array encoder from the Java component class (Integer[], String[], ...).
    Object typed = Array.newInstance(componentClass(elementType), array.size());
    for (int i = 0; i < array.size(); i++) {
      Array.set(typed, i, convert(array.getValue(i), elementType));
    }
    return typed;
  }

  private static Class<?> componentClass(String elementType) {
    return switch (elementType) {
      case "int2" -> Short.class;
      case "int4" -> Integer.class;
      case "int8", "oid" -> Long.class;
      case "float4" -> Float.class;
      case "float8" -> Double.class;
      case "numeric" -> Numeric.class;
      case "bool" -> Boolean.class;
      case "json", "jsonb" -> Object.class;
      case "uuid" -> UUID.class;
      case "date" -> LocalDate.class;
      case "time" -> LocalTime.class;
      case "timetz" -> OffsetTime.class;
      case "timestamp" -> LocalDateTime.class;
      case "timestamptz" -> OffsetDateTime.class;
      case "bytea" -> Buffer.class;
      default -> String.class;
    };
  }

  private static BigDecimal integral(Object value) {
    BigDecimal decimal = number(value);
    try {
      return new BigDecimal(decimal.toBigIntegerExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("not an integer: " + value);
    }
  }

  private static BigDecimal number(Object value) {
    if (value instanceof Number n) {
      return n instanceof Double || n instanceof Float ? BigDecimal.valueOf(n.doubleValue()) : new BigDecimal(n.toString());
    }
    if (value instanceof String s) {
      return new BigDecimal(s.trim());
    }
    throw new IllegalArgumentException("expected a number or a numeric string");
  }

  private static double floating(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      return Double.parseDouble(s.trim());
    }
    throw new IllegalArgumentException("expected a number");
  }

  private static boolean bool(Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "t", "yes", "y", "on", "1":
          return true;
        case "false", "f", "no", "n", "off", "0":
          return false;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("expected a boolean");
  }

  /** A JSON string is JSON text (as node-postgres and Neon send it); other values are the document itself. */
  private static Object json(Object value) {
    if (value instanceof String s) {
      Object decoded = Json.decodeValue(s);
      return decoded == null ? Tuple.JSON_NULL : decoded;
    }
    return value;
  }

  private static String isoDateTime(Object value) {
    String s = text(value).trim();
    return s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
  }

  private static OffsetDateTime timestamptz(String iso) {
    try {
      return OffsetDateTime.parse(iso);
    } catch (DateTimeParseException noOffset) {
      return LocalDateTime.parse(iso).atOffset(ZoneOffset.UTC);
    }
  }

  private static Buffer bytea(Object value) {
    String s = text(value);
    if (s.startsWith("\\x")) {
      return Buffer.buffer(HexFormat.of().parseHex(s.substring(2)));
    }
    return Buffer.buffer(s);
  }

  private static String text(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      return Json.encode(value);
    }
    if (value instanceof Double || value instanceof Float) {
      return BigDecimal.valueOf(((Number) value).doubleValue()).stripTrailingZeros().toPlainString();
    }
    return String.valueOf(value);
  }
}
