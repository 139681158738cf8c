package dev.pgdo.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the effective configuration: built-in defaults, then the topology shipped in the jar
 * ({@code conf/regions.json}), then the {@code -conf} file, then command-line flags, then
 * environment variables ({@code PGDO_} + the key path in upper snake case). Later layers win.
 *
 * <p>Runs on the main thread before Vert.x exists, so plain blocking file I/O is fine here.
 */
public final class ConfigLoader {

  private static final Map<String, String> FLAG_ALIASES = Map.of(
      "region", "node.region",
      "http-port", "http.port",
      "node-id", "node.id",
      "data-dir", "dataDir",
      "database-url", "database.url");

  private ConfigLoader() {
  }

  /** Parses {@code -conf <file>}, {@code --region X}, {@code --http-port N} and {@code --<key.path>=V}. */
  public static AppConfig load(String[] args, Map<String, String> env) {
    JsonObject merged = resource("pgdo-defaults.json");
    deepMerge(merged, resource("conf/regions.json"));

    Map<String, String> flags = new LinkedHashMap<>();
    String confFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-conf") || arg.equals("--conf")) {
        confFile = requireValue(args, ++i, arg);
      } else if (arg.startsWith("--")) {
        String name = arg.substring(2);
        String value;
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        } else {
          value = requireValue(args, ++i, arg);
        }
        flags.put(FLAG_ALIASES.getOrDefault(name, name), value);
      } else {
        throw new ConfigException(arg, "unknown command-line argument (expected -conf <file> or --key value)");
      }
    }
    if (confFile != null) {
      deepMerge(merged, file(Path.of(confFile)));
    }
    List<String> leafKeys = leafKeys(merged);
    flags.forEach((key, value) -> {
      if (!leafKeys.contains(key)) {
        throw new ConfigException(key, "unknown key given as a command-line flag");
      }
      set(merged, key, value);
    });
    for (String key : leafKeys) {
      String value = env.get(envName(key));
      if (value != null) {
        set(merged, key, value);
      }
    }
    return AppConfig.from(merged);
  }

  /** {@code limits.statementTimeoutMs} becomes {@code PGDO_LIMITS_STATEMENT_TIMEOUT_MS}. */
  public static String envName(String key) {
    String snake = key.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2");
    return "PGDO_" + snake.toUpperCase(java.util.Locale.ROOT);
  }

  private static String requireValue(String[] args, int index, String flag) {
    if (index >= args.length) {
      throw new ConfigException(flag, "missing value");
    }
    return args[index];
  }

  private static JsonObject resource(String name) {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in resource " + name);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonObject file(Path path) {
    try {
      return new JsonObject(Files.readString(path));
    } catch (IOException e) {
      throw new ConfigException("-conf", "cannot read " + path + ": " + e.getMessage());
    } catch (DecodeException e) {
      throw new ConfigException("-conf", path + " is not a JSON object: " + e.getMessage());
    }
  }

  /** Objects merge key by key; any other value (arrays included) replaces the old one. */
  static void deepMerge(JsonObject target, JsonObject layer) {
    for (String key : layer.fieldNames()) {
      Object value = layer.getValue(key);
      Object existing = target.getValue(key);
      if (value instanceof JsonObject obj && existing instanceof JsonObject old) {
        deepMerge(old, obj);
      } else {
        target.put(key, value);
      }
    }
  }

  static List<String> leafKeys(JsonObject json) {
    List<String> keys = new ArrayList<>();
    collectLeaves("", json, keys);
    return keys;
  }

  private static void collectLeaves(String prefix, JsonObject json, List<String> out) {
    for (String key : json.fieldNames()) {
      Object value = json.getValue(key);
      String path = prefix.isEmpty() ? key : prefix + "." + key;
      if (value instanceof JsonObject obj) {
        collectLeaves(path, obj, out);
      } else {
        out.add(path);
      }
    }
  }

  /** Sets a leaf from text, keeping the type the key already has. */
  private static void set(JsonObject root, String key, String text) {
    String[] parts = key.split("\\.");
    JsonObject parent = root;
    for (int i = 0; i < parts.length - 1; i++) {
      parent = parent.getJsonObject(parts[i]);
    }
    String leaf = parts[parts.length - 1];
    Object current = parent.getValue(leaf);
    parent.put(leaf, parse(key, current, text));
  }

  private static Object parse(String key, Object current, String text) {
    try {
      if (current instanceof Integer || current instanceof Long) {
        return Long.parseLong(text.trim());
      }
      if (current instanceof Boolean) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
          throw new ConfigException(key, "expected true or false, got '" + text + "'");
        }
        return Boolean.parseBoolean(t);
      }
      if (current instanceof JsonArray) {
        String t = text.trim();
        if (t.startsWith("[")) {
          return new JsonArray(t);
        }
        JsonArray items = new JsonArray();
        for (String item : t.split(",")) {
          if (!item.isBlank()) {
            items.add(item.trim());
          }
        }
        return items;
      }
      return text;
    } catch (NumberFormatException | DecodeException e) {
      throw new ConfigException(key, "cannot parse '" + text + "': " + e.getMessage());
    }
  }
}
