package dev.pgdo.compute;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.util.List;

/**
 * Encodes a statement's rows, which arrive as PostgreSQL's text (see {@link WireTap}): in the
 * JSON format each value as {@link ValueEncoder} maps it for its column's type, in the TEXT
 * format (the Neon edge's) each value as the text itself. Stateless.
 */
final class RowEncoder {

  private RowEncoder() {
  }

  /** API.md's {@code [{"name", "type"}]}; the type is the {@code pg_type} name, arrays as {@code _int4}. */
  static JsonArray fields(WireTap.Column[] columns, PgType[] types) {
    JsonArray fields = new JsonArray(new java.util.ArrayList<>(columns.length));
    for (int i = 0; i < columns.length; i++) {
      fields.add(new JsonObject().put("name", columns[i].name()).put("type", types[i].name()));
    }
    return fields;
  }

  /** The TEXT format's fields: what PostgreSQL's RowDescription says of each column. */
  static JsonArray textFields(WireTap.Column[] columns) {
    JsonArray fields = new JsonArray(new java.util.ArrayList<>(columns.length));
    for (WireTap.Column column : columns) {
      fields.add(new JsonObject()
          .put("name", column.name())
          .put("dataTypeID", column.typeOid())
          .put("tableID", column.tableOid())
          .put("columnID", column.columnNumber())
          .put("dataTypeSize", column.typeSize())
          .put("dataTypeModifier", column.typeModifier())
          .put("format", "text"));
    }
    return fields;
  }

  static JsonArray jsonRows(List<Row> rows, WireTap.Column[] columns, PgType[] types, boolean asArray,
                            boolean isoDates) {
    JsonArray out = new JsonArray(new java.util.ArrayList<>(rows.size()));
    int width = columns.length;
    for (Row row : rows) {
      if (asArray) {
        JsonArray values = new JsonArray(new java.util.ArrayList<>(width));
        for (int i = 0; i < width; i++) {
          String text = row.getString(i);
          values.add(text == null ? null : ValueEncoder.encode(text, types[i], isoDates));
        }
        out.add(values);
      } else {
        JsonObject values = new JsonObject(new java.util.LinkedHashMap<>(width * 2));
        for (int i = 0; i < width; i++) {
          String text = row.getString(i);
          values.put(columns[i].name(), text == null ? null : ValueEncoder.encode(text, types[i], isoDates));
        }
        out.add(values);
      }
    }
    return out;
  }

  static JsonArray textRows(List<Row> rows, int width) {
    JsonArray out = new JsonArray(new java.util.ArrayList<>(rows.size()));
    for (Row row : rows) {
      JsonArray values = new JsonArray(new java.util.ArrayList<>(width));
      for (int i = 0; i < width; i++) {
        values.add(row.getString(i));
      }
      out.add(values);
    }
    return out;
  }

  /** A cheap estimate of a text value's JSON size, used to stop collecting early. */
  static long estimateBytes(Object v) {
    return v instanceof String s ? s.length() + 3L : 5;
  }
}
