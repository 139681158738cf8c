package dev.pgdo.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A validated query: one statement, or a transaction of several. The wire form is API.md's
 * request body plus {@code "tenant"}, and is both what HTTP clients post and what event-bus
 * clients send to {@code shared-compute.<region>.<index>}.
 *
 * @param transaction true when the statements run in one explicit transaction (a
 *                    {@code "transaction"} request, or a single statement given an isolation
 *                    level or readOnly)
 * @param batch       true for a {@code "transaction"} request: the answer is {@code {"results": [...]}}
 * @param idempotencyKey when set, the statements run at most once per key (within the
 *                    idempotency window) and a repeat gets the first answer; null otherwise
 * @param format      how results are encoded (wire key {@code "format"}, default JSON)
 * @param deferrable  PostgreSQL's {@code DEFERRABLE} for a transaction (wire key {@code "deferrable"},
 *                    sent by the Neon dialect; it only changes a serializable read-only transaction)
 */
public record QueryRequest(String tenant, List<Statement> statements, boolean transaction, boolean batch,
                           Isolation isolation, boolean readOnly, String idempotencyKey, Format format,
                           boolean deferrable) {

  private static final java.util.regex.Pattern IDEMPOTENCY_KEY = java.util.regex.Pattern.compile("[\\x21-\\x7e]{1,200}");

  public enum RowMode { OBJECT, ARRAY }

  /**
   * {@code JSON}: API.md's typed values. {@code TEXT} (for the Neon edge, not documented for
   * users): every value as PostgreSQL's text, fields with PostgreSQL's type oids.
   */
  public enum Format { JSON, TEXT }

  public enum Isolation {
    READ_COMMITTED("read committed"), REPEATABLE_READ("repeatable read"), SERIALIZABLE("serializable");

    private final String sql;

    Isolation(String sql) {
      this.sql = sql;
    }

    /** The level as PostgreSQL spells it after {@code ISOLATION LEVEL}. */
    public String sql() {
      return sql;
    }
  }

  /**
   * One SQL statement with its (unconverted) JSON parameters.
   *
   * @param verb its command tag's verb as {@link SqlScanner} read it when the request was
   *             validated ({@code SELECT}, {@code INSERT}, ...): the statement is scanned once
   */
  public record Statement(String sql, JsonArray params, RowMode rowMode, String verb) {
  }

  /** @throws PgdoException {@code invalid_request} or {@code invalid_tenant} */
  public static QueryRequest fromJson(JsonObject json) {
    String tenant = TenantId.require(json.getValue("tenant") instanceof String s ? s : null);
    Object sql = json.getValue("sql");
    Object transaction = json.getValue("transaction");
    if (sql != null && transaction != null) {
      throw invalid("give either 'sql' or 'transaction', not both");
    }
    if (sql == null && transaction == null) {
      throw invalid("missing 'sql' (or 'transaction')");
    }
    RowMode rowMode = rowMode(json.getValue("rowMode"), RowMode.OBJECT, "rowMode");
    Isolation isolation = isolation(json.getValue("isolation"));
    Object readOnlyValue = json.getValue("readOnly");
    if (readOnlyValue != null && !(readOnlyValue instanceof Boolean)) {
      throw invalid("'readOnly' must be a boolean");
    }
    boolean readOnly = Boolean.TRUE.equals(readOnlyValue);
    Object deferrableValue = json.getValue("deferrable");
    if (deferrableValue != null && !(deferrableValue instanceof Boolean)) {
      throw invalid("'deferrable' must be a boolean");
    }
    boolean deferrable = Boolean.TRUE.equals(deferrableValue);
    Object key = json.getValue("idempotencyKey");
    if (key != null && !(key instanceof String k && IDEMPOTENCY_KEY.matcher(k).matches())) {
      throw invalid("'idempotencyKey' must be 1 to 200 printable ASCII characters");
    }
    String idempotencyKey = (String) key;
    Format format = format(json.getValue("format"));
    boolean explicitTx = isolation != null || readOnly || deferrable || idempotencyKey != null;
    Isolation level = isolation == null ? Isolation.READ_COMMITTED : isolation;

    if (sql != null) {
      Statement statement = statement(json, rowMode, "");
      return new QueryRequest(tenant, List.of(statement), explicitTx, false, level, readOnly, idempotencyKey, format,
          deferrable);
    }
    if (!(transaction instanceof JsonArray items)) {
      throw invalid("'transaction' must be an array of {\"sql\", \"params\"} objects");
    }
    if (items.isEmpty()) {
      throw invalid("'transaction' must hold at least one statement");
    }
    List<Statement> statements = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      if (!(items.getValue(i) instanceof JsonObject item)) {
        throw invalid("transaction[" + i + "] must be an object with 'sql'");
      }
      statements.add(statement(item, rowMode, "transaction[" + i + "]."));
    }
    return new QueryRequest(tenant, List.copyOf(statements), true, true, level, readOnly, idempotencyKey, format,
        deferrable);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("tenant", tenant);
    if (batch) {
      JsonArray items = new JsonArray();
      statements.forEach(s -> items.add(statementJson(s)));
      json.put("transaction", items);
    } else {
      statementJson(statements.get(0)).forEach(e -> json.put(e.getKey(), e.getValue()));
    }
    if (transaction) {
      json.put("isolation", isolation.sql()).put("readOnly", readOnly);
      if (deferrable) {
        json.put("deferrable", true);
      }
    }
    if (idempotencyKey != null) {
      json.put("idempotencyKey", idempotencyKey);
    }
    if (format != Format.JSON) {
      json.put("format", format.name().toLowerCase(Locale.ROOT));
    }
    return json;
  }

  /**
   * True when the request may be sent again after its member was lost mid-flight: it is
   * read-only, carries an idempotency key, or is a single SELECT. A SELECT can still write
   * (a volatile function, {@code SELECT ... INTO}, a data-modifying WITH), so a repeat runs
   * {@link #asReadOnly()}: such a statement then fails instead of writing twice.
   */
  public boolean safeToRetry() {
    if (readOnly || idempotencyKey != null) {
      return true;
    }
    return !batch && statements.size() == 1 && statements.get(0).verb().equals("SELECT");
  }

  /** The request for a repeat attempt: read-only unless it carries an idempotency key. */
  public QueryRequest forRetry() {
    return readOnly || idempotencyKey != null ? this : asReadOnly();
  }

  /** The same request in a read-only transaction (a single statement keeps its single-statement answer). */
  public QueryRequest asReadOnly() {
    return new QueryRequest(tenant, statements, true, batch, isolation, true, idempotencyKey, format, deferrable);
  }

  private static JsonObject statementJson(Statement s) {
    return new JsonObject().put("sql", s.sql()).put("params", s.params())
        .put("rowMode", s.rowMode().name().toLowerCase(Locale.ROOT));
  }

  private static Statement statement(JsonObject json, RowMode defaultMode, String where) {
    if (!(json.getValue("sql") instanceof String sql) || sql.isBlank()) {
      throw invalid("'" + where + "sql' must be a non-empty string");
    }
    if (sql.indexOf('\u0000') >= 0) {
      throw invalid("'" + where + "sql' cannot contain NUL characters");
    }
    SqlScanner.Scan scan = SqlScanner.scan(sql);
    if (scan.copy()) {
      // The driver does not speak PostgreSQL's COPY sub-protocol (STDIN/STDOUT); server-side
      // files and programs are out of a tenant's reach anyway.
      throw invalid("COPY is not supported; use INSERT ... VALUES / SELECT");
    }
    if (scan.transactionControl()) {
      throw invalid("transaction control (BEGIN, COMMIT, ROLLBACK, SET TRANSACTION, ...) is not accepted: "
          + "send several statements as a \"transaction\" "
          + "(with \"isolation\" and \"readOnly\"); the service opens and ends the transaction itself");
    }
    if (scan.verb().equals("DEALLOCATE") || scan.verb().equals("DISCARD")) {
      // The service keeps each connection's prepared statements; dropping them behind its back
      // would break the connection's statement cache.
      throw invalid(scan.verb() + " is not supported: the service manages sessions and prepared statements");
    }
    Object params = json.getValue("params");
    if (params != null && !(params instanceof JsonArray)) {
      throw invalid("'" + where + "params' must be an array");
    }
    JsonArray list = params == null ? new JsonArray() : (JsonArray) params;
    for (int i = 0; i < list.size(); i++) {
      checkParam(list.getValue(i), where + "params[" + i + "]");
    }
    return new Statement(sql, list, rowMode(json.getValue("rowMode"), defaultMode, where + "rowMode"), scan.verb());
  }

  /** A top-level parameter may be any JSON value; arrays hold scalars or nested arrays only. */
  private static void checkParam(Object value, String where) {
    if (value instanceof JsonArray array) {
      array.forEach(element -> checkArrayElement(element, where));
    }
    checkNoNul(value, where);
  }

  /** PostgreSQL text cannot hold NUL; sent anyway, it costs the connection. */
  private static void checkNoNul(Object value, String where) {
    if (value instanceof String s && s.indexOf('\u0000') >= 0) {
      throw invalid("'" + where + "': text cannot contain NUL characters");
    }
    if (value instanceof JsonArray array) {
      array.forEach(element -> checkNoNul(element, where));
    }
    if (value instanceof JsonObject object) {
      object.forEach(entry -> checkNoNul(entry.getValue(), where));
    }
  }

  private static void checkArrayElement(Object element, String where) {
    if (element instanceof JsonObject) {
      throw invalid("'" + where + "': arrays may hold only scalars or arrays");
    }
    if (element instanceof JsonArray nested) {
      nested.forEach(inner -> checkArrayElement(inner, where));
    }
  }

  private static RowMode rowMode(Object value, RowMode defaultMode, String key) {
    if (value == null) {
      return defaultMode;
    }
    if ("object".equals(value)) {
      return RowMode.OBJECT;
    }
    if ("array".equals(value)) {
      return RowMode.ARRAY;
    }
    throw invalid("'" + key + "' must be \"object\" or \"array\"");
  }

  private static Format format(Object value) {
    if (value == null || "json".equals(value)) {
      return Format.JSON;
    }
    if ("text".equals(value)) {
      return Format.TEXT;
    }
    throw invalid("'format' must be \"json\" or \"text\"");
  }

  private static Isolation isolation(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      String normalized = s.trim().replaceAll("[\\s_]+", " ").toLowerCase(Locale.ROOT);
      for (Isolation level : Isolation.values()) {
        if (level.sql.equals(normalized)) {
          return level;
        }
      }
    }
    throw invalid("'isolation' must be \"read committed\", \"repeatable read\" or \"serializable\"");
  }

  private static PgdoException invalid(String message) {
    return new PgdoException(ErrorCode.INVALID_REQUEST, message);
  }
}
