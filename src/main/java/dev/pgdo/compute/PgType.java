package dev.pgdo.compute;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A PostgreSQL type as the encoders need it: its {@code pg_type} name, how its text answers in
 * JSON ({@link Kind}), and for an array its element type and delimiter. Built-in types come from
 * a static table ({@code pg-types.txt}, oids below 10000 are fixed); others (enums, domains,
 * composites, ranges, extension types) are looked up per tenant by {@link TypeCatalog}.
 * Immutable.
 */
record PgType(int oid, String name, Kind kind, PgType element, char delimiter) {

  /** How a value of the type answers in the JSON format. */
  enum Kind { BOOL, INTEGER, FLOAT, JSON, DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ, ARRAY, TEXT }

  static final int BOX = 603;
  private static final Map<Integer, PgType> BUILT_IN = load();

  /** A built-in type by oid, or null. */
  static PgType builtIn(int oid) {
    return BUILT_IN.get(oid);
  }

  /** A type whose values answer as their text (a type of unknown kind). */
  static PgType text(int oid, String name) {
    return new PgType(oid, name, Kind.TEXT, null, ',');
  }

  private static Kind kindOf(String name) {
    return switch (name) {
      case "bool" -> Kind.BOOL;
      case "int2", "int4" -> Kind.INTEGER;
      case "float4", "float8" -> Kind.FLOAT;
      case "json", "jsonb" -> Kind.JSON;
      case "date" -> Kind.DATE;
      case "time" -> Kind.TIME;
      case "timetz" -> Kind.TIMETZ;
      case "timestamp" -> Kind.TIMESTAMP;
      case "timestamptz" -> Kind.TIMESTAMPTZ;
      default -> Kind.TEXT; // int8 and numeric included: their own digits, as a JSON string
    };
  }

  /** The type for a name and (for arrays) element, with the kind the name implies. */
  static PgType of(int oid, String name, PgType element) {
    if (element != null) {
      return new PgType(oid, name, Kind.ARRAY, element, element.oid == BOX ? ';' : ',');
    }
    return new PgType(oid, name, kindOf(name), null, ',');
  }

  private static Map<Integer, PgType> load() {
    Map<Integer, String> names = new HashMap<>();
    Map<Integer, Integer> elements = new HashMap<>();
    try (InputStream in = PgType.class.getResourceAsStream("pg-types.txt");
         BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        int oid = Integer.parseInt(parts[0]);
        names.put(oid, parts[1]);
        elements.put(oid, Integer.parseInt(parts[2]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<Integer, PgType> types = new HashMap<>();
    names.forEach((oid, name) -> {
      if (elements.get(oid) == 0) {
        types.put(oid, of(oid, name, null));
      }
    });
    names.forEach((oid, name) -> {
      int element = elements.get(oid);
      if (element != 0) {
        types.put(oid, of(oid, name, types.getOrDefault(element, text(element, names.get(element)))));
      }
    });
    return Map.copyOf(types);
  }
}
