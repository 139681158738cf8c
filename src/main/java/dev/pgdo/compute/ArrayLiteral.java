package dev.pgdo.compute;

import io.vertx.core.json.JsonArray;

/**
 * Reads PostgreSQL's array output ({@code array_out}) into nested JSON arrays, each element
 * encoded by the element type: {@code {{1,2},{3,NULL}}} → {@code [[1,2],[3,null]]}. Quoted
 * elements lose their quotes and backslash escapes, an unquoted {@code NULL} is SQL NULL, the
 * delimiter is the element type's ({@code ;} for {@code box}), and a bounds prefix such as
 * {@code [0:1]=} is dropped (JSON arrays have no lower bound). Single use.
 */
final class ArrayLiteral {

  private final String text;
  private final PgType element;
  private final char delimiter;
  private final boolean isoDates;
  private int at;

  private ArrayLiteral(String text, PgType array, boolean isoDates) {
    this.text = text;
    this.element = array.element();
    this.delimiter = array.delimiter();
    this.isoDates = isoDates;
  }

  static JsonArray parse(String text, PgType array, boolean isoDates) {
    ArrayLiteral literal = new ArrayLiteral(text, array, isoDates);
    if (!text.isEmpty() && text.charAt(0) == '[') {
      literal.at = text.indexOf('=') + 1; // "[0:1]={...}"
    }
    return literal.array();
  }

  private JsonArray array() {
    expect('{');
    JsonArray out = new JsonArray();
    if (text.charAt(at) == '}') {
      at++;
      return out;
    }
    while (true) {
      char c = text.charAt(at);
      if (c == '{') {
        out.add(array());
      } else if (c == '"') {
        out.add(ValueEncoder.encode(quoted(), element, isoDates));
      } else {
        String token = unquoted();
        out.add(token.equalsIgnoreCase("NULL") ? null : ValueEncoder.encode(token, element, isoDates));
      }
      char next = text.charAt(at++);
      if (next == '}') {
        return out;
      }
      if (next != delimiter) {
        throw new IllegalArgumentException("malformed array text at " + (at - 1));
      }
    }
  }

  private String quoted() {
    at++; // opening quote
    StringBuilder value = new StringBuilder();
    for (char c = text.charAt(at++); c != '"'; c = text.charAt(at++)) {
      value.append(c == '\\' ? text.charAt(at++) : c);
    }
    return value.toString();
  }

  private String unquoted() {
    int start = at;
    while (true) {
      char c = text.charAt(at);
      if (c == delimiter || c == '}') {
        return text.substring(start, at);
      }
      at++;
    }
  }

  private void expect(char c) {
    if (text.charAt(at++) != c) {
      throw new IllegalArgumentException("malformed array text at " + (at - 1));
    }
  }
}
