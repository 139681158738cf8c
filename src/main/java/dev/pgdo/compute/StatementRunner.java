package dev.pgdo.compute;

import dev.pgdo.bus.CommandTags;
import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.AppConfig;
import dev.pgdo.db.PgTargets;
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
    // A cacheable statement stays prepared in the connection's statement cache (closing it would
    // leave the cache pointing at a deallocated statement); a longer one is closed after the lookup.
    boolean cached = statement.sql().length() < PgTargets.STATEMENT_CACHE_SQL_LIMIT;
    return conn.prepare(statement.sql())
        .compose(prepared -> conn.preparedQuery(SqlQueries.PARAMETER_TYPES).execute(Tuple.of(statement.sql()))
            .eventually(() -> cached ? Future.succeededFuture() : prepared.close()))
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
    String command = CommandTags.of(statement.sql());
    return new JsonObject()
        .put("command", command)
        .put("rowCount", COUNTED_COMMANDS.contains(command) ? result.rowCount() : null)
        .put("fields", RowEncoder.fields(columns))
        .put("rows", rows);
  }
}
