package dev.pgdo.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Writes a member's TEXT-format result (see {@code QueryRequest.Format.TEXT}) as Neon's answer:
 * per statement {@code {"command", "rowCount", "rows", "fields", "rowAsArray"}}, the driver's
 * {@code processQueryResult} input, and {@code {"results": [...]}} for a transaction. The
 * {@code compute} and {@code timings} of the member's answer travel as headers only, so a
 * driver's {@code fullResults} object holds what Neon's does. Stateless.
 */
final class NeonAnswers {

  /** What the driver and node-postgres read of a field (its {@code format} is always text). */
  private static final List<String> FIELD_KEYS =
      List.of("name", "dataTypeID", "tableID", "columnID", "dataTypeSize", "dataTypeModifier");

  private NeonAnswers() {
  }

  /** @param arrayMode rows as arrays (the driver always asks so), else as objects keyed by column name */
  static JsonObject encode(JsonObject result, boolean arrayMode) {
    JsonArray results = result.getJsonArray("results");
    if (results == null) {
      return statement(result, arrayMode);
    }
    JsonArray encoded = new JsonArray();
    for (int i = 0; i < results.size(); i++) {
      encoded.add(statement(results.getJsonObject(i), arrayMode));
    }
    return new JsonObject().put("results", encoded);
  }

  private static JsonObject statement(JsonObject result, boolean arrayMode) {
    JsonArray fields = new JsonArray();
    List<String> names = new java.util.ArrayList<>();
    for (Object item : result.getJsonArray("fields", new JsonArray())) {
      JsonObject field = (JsonObject) item;
      JsonObject neon = new JsonObject();
      FIELD_KEYS.forEach(key -> neon.put(key, field.getValue(key)));
      fields.add(neon.put("format", "text"));
      names.add(field.getString("name"));
    }
    JsonArray rows = result.getJsonArray("rows", new JsonArray());
    return new JsonObject()
        .put("command", commandName(result.getString("command")))
        .put("rowCount", result.getValue("rowCount"))
        .put("rows", arrayMode ? rows : keyedRows(rows, names))
        .put("fields", fields)
        .put("rowAsArray", arrayMode);
  }

  /** node-postgres and Neon report the tag's first word: {@code CREATE}, not {@code CREATE TABLE}. */
  static String commandName(String tag) {
    if (tag == null) {
      return "";
    }
    int space = tag.indexOf(' ');
    return space < 0 ? tag : tag.substring(0, space);
  }

  /** Rows as objects; a later column wins over an earlier one of the same name, as in node-postgres. */
  private static JsonArray keyedRows(JsonArray rows, List<String> names) {
    JsonArray keyed = new JsonArray();
    for (Object item : rows) {
      JsonArray row = (JsonArray) item;
      JsonObject object = new JsonObject();
      for (int i = 0; i < names.size() && i < row.size(); i++) {
        object.put(names.get(i), row.getValue(i));
      }
      keyed.add(object);
    }
    return keyed;
  }
}
