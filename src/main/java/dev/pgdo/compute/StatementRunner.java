package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.SqlQueries;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.desc.ColumnDescriptor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs one statement on a tenant connection and encodes its result. Parameters are bound with
 * the types PostgreSQL inferred for them, learnt once per statement text by preparing it and
 * reading {@code pg_prepared_statements} (see {@link ParamBinder} for why).
 */
final class StatementRunner {

  /** Commands whose PostgreSQL command tag carries a row count; others (DDL, SET, ...) answer null. */
  private static final java.util.Set<String> COUNTED_COMMANDS =
      java.util.Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "FETCH", "MOVE");

  private final AppConfig.Limits limits;

  StatementRunner(AppConfig.Limits limits) {
    this.limits = limits;
  }

  Future<JsonObject> run(SqlConnection conn, TenantPool pool, QueryRequest.Statement statement) {
    return bind(conn, pool, statement)
        .compose(tuple -> conn.preparedQuery(statement.sql())
            .collecting(LimitedRows.collector(limits.maxResultRows(), limits.maxResultBytes()))
            .execute(tuple))
        .map(result -> encode(statement, result));
  }

  private Future<Tuple> bind(SqlConnection conn, TenantPool pool, QueryRequest.Statement statement) {
    JsonArray params = statement.params();
    if (params.isEmpty()) {
      return Future.succeededFuture(Tuple.tuple());
    }
    List<String> known = pool.knownParameterTypes(statement.sql());
    if (known != null) {
      return Future.succeededFuture(ParamBinder.forTypes(params, known));
    }
    return conn.prepare(statement.sql())
        .compose(prepared -> conn.preparedQuery(SqlQueries.PARAMETER_TYPES).execute(Tuple.of(statement.sql()))
            .eventually(prepared::close))
        .map(rows -> {
          if (rows.size() == 0) {
            throw new PgdoException(ErrorCode.INTERNAL_ERROR, "the parameter types of the statement are unknown");
          }
          List<String> types = Arrays.asList(rows.iterator().next().getArrayOfStrings(0));
          pool.learnParameterTypes(statement.sql(), types);
          return ParamBinder.forTypes(params, types);
        });
  }

  private JsonObject encode(QueryRequest.Statement statement, SqlResult<LimitedRows> result) {
    LimitedRows collected = result.value();
    if (collected.overflow) {
      throw new PgdoException(ErrorCode.RESULT_TOO_LARGE, "the result is over the limit of "
          + limits.maxResultRows() + " rows or " + limits.maxResultBytes() + " bytes");
    }
    // Statements without a result set (DDL, DML without RETURNING) have no column descriptors.
    List<ColumnDescriptor> columns = result.columnDescriptors() == null ? List.of() : result.columnDescriptors();
    boolean asArray = statement.rowMode() == QueryRequest.RowMode.ARRAY;
    JsonArray rows = new JsonArray();
    collected.rows.forEach(row -> rows.add(RowEncoder.row(row, columns, asArray)));
    if (collected.estimatedBytes > limits.maxResultBytes() / 2
        && rows.toBuffer().length() > limits.maxResultBytes()) {
      throw new PgdoException(ErrorCode.RESULT_TOO_LARGE,
          "the result is over the limit of " + limits.maxResultBytes() + " bytes");
    }
    String command = command(statement.sql());
    return new JsonObject()
        .put("command", command)
        .put("rowCount", COUNTED_COMMANDS.contains(command) ? result.rowCount() : null)
        .put("fields", RowEncoder.fields(columns))
        .put("rows", rows);
  }

  /**
   * The command tag's verb. The Vert.x client does not expose PostgreSQL's command tag, so it is
   * read from the statement: its first keyword, or for {@code WITH} the first statement keyword
   * outside the parentheses of the common table expressions ({@code VALUES} and {@code TABLE}
   * report SELECT, as PostgreSQL does).
   */
  static String command(String sql) {
    List<String> words = topLevelWords(sql);
    if (words.isEmpty()) {
      return "UNKNOWN";
    }
    String first = words.get(0);
    if (first.equals("WITH")) {
      return words.stream().skip(1)
          .filter(w -> w.equals("SELECT") || w.equals("INSERT") || w.equals("UPDATE") || w.equals("DELETE")
              || w.equals("MERGE"))
          .findFirst().orElse("SELECT");
    }
    return first.equals("VALUES") || first.equals("TABLE") ? "SELECT" : first;
  }

  /** Upper-cased words outside parentheses, quotes and comments, in order; the first 64 at most. */
  private static List<String> topLevelWords(String sql) {
    List<String> words = new java.util.ArrayList<>();
    int depth = 0;
    int i = 0;
    int n = sql.length();
    boolean leadingParens = true; // "(select 1)" still reports SELECT
    while (i < n && words.size() < 64) {
      char c = sql.charAt(i);
      if (sql.startsWith("--", i)) {
        int eol = sql.indexOf('\n', i);
        i = eol < 0 ? n : eol + 1;
      } else if (sql.startsWith("/*", i)) {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '\'' || c == '"') {
        int end = sql.indexOf(c, i + 1);
        i = end < 0 ? n : end + 1;
      } else if (c == '(') {
        if (!leadingParens) {
          depth++;
        }
        i++;
      } else if (c == ')') {
        depth = Math.max(0, depth - 1);
        i++;
      } else if (Character.isLetter(c)) {
        int start = i;
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
          i++;
        }
        if (depth == 0) {
          words.add(sql.substring(start, i).toUpperCase(Locale.ROOT));
        }
        leadingParens = false;
      } else {
        if (!Character.isWhitespace(c)) {
          leadingParens = false;
        }
        i++;
      }
    }
    return words;
  }
}
