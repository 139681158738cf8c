package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one tenant statement on a tenant connection and encodes its result from what the
 * {@link WireTap} saw: PostgreSQL's text for every value, the real column types, the command
 * tag. A statement the client had cached and PostgreSQL now refuses because its result type
 * changed (0A000, the statement never ran) is prepared afresh and run once more.
 */
final class StatementRunner {

  /** Keeps a cancel request that arrived late from hitting the connection's next statement. */
  private static final String ABSORB_CANCEL = "SELECT pg_catalog.pg_sleep(0.05)";

  private final AppConfig.Limits limits;
  private final TypeCatalog catalog = new TypeCatalog();

  StatementRunner(AppConfig.Limits limits) {
    this.limits = limits;
  }

  /** What one execution left: the client's result and the tap's record of it. */
  private record Outcome(SqlResult<LimitedRows> result, WireTap.Column[] columns, String tag, boolean isoDates) {
  }

  Future<JsonObject> run(SqlConnection conn, TenantPool pool, QueryRequest.Statement statement,
                         QueryRequest.Format format) {
    WireTap tap = WireTap.of(conn);
    return execute(conn, tap, pool, statement, true)
        .compose(outcome -> encode(conn, pool, statement, format, outcome));
  }

  private Future<Outcome> execute(SqlConnection conn, WireTap tap, TenantPool pool,
                                  QueryRequest.Statement statement, boolean mayRetry) {
    tap.limitRowBytes(limits.maxResultBytes());
    return executeOnce(conn, tap, pool, statement)
        .map(result -> new Outcome(result, tap.columns(), tap.commandTag(), tap.isoDates()))
        .recover(err -> {
          if (tap.overflow()) {
            return Future.failedFuture(tooLarge());
          }
          if (mayRetry && isChangedResultType(err) && tap.transactionStatus() == 'I') {
            return execute(conn, tap, pool, statement, false); // the client evicted the statement
          }
          return Future.failedFuture(err);
        })
        .compose(outcome -> tap.overflow()
            // PostgreSQL finished before the cancel arrived: absorb it, then refuse
            ? conn.query(ABSORB_CANCEL).execute().otherwiseEmpty().compose(v -> Future.failedFuture(tooLarge()))
            : Future.succeededFuture(outcome));
  }

  private Future<SqlResult<LimitedRows>> executeOnce(SqlConnection conn, WireTap tap, TenantPool pool,
                                                     QueryRequest.Statement statement) {
    String sql = statement.sql();
    JsonArray params = statement.params();
    var collector = LimitedRows.collector(limits.maxResultRows(), limits.maxResultBytes());
    if (!ParamBinder.needsTypes(params)) {
      return conn.preparedQuery(sql).collecting(collector).execute(ParamBinder.bind(params, null));
    }
    List<String> known = pool.knownParameterTypes(sql);
    if (known != null) {
      return conn.preparedQuery(sql).collecting(collector).execute(ParamBinder.bind(params, known));
    }
    // An array parameter binds as JSON text for json/jsonb and as an array literal otherwise:
    // prepare first to learn the parameter types from PostgreSQL's ParameterDescription.
    return conn.prepare(sql).compose(prepared -> {
      List<String> types = typeNames(tap.parameterOids());
      pool.learnParameterTypes(sql, types);
      Tuple tuple = ParamBinder.bind(params, types);
      return prepared.query().collecting(collector).execute(tuple).eventually(prepared::close);
    });
  }

  private static List<String> typeNames(int[] oids) {
    List<String> names = new ArrayList<>(oids.length);
    for (int oid : oids) {
      PgType type = PgType.builtIn(oid);
      names.add(type == null ? "" : type.name());
    }
    return names;
  }

  private static boolean isChangedResultType(Throwable err) {
    return err instanceof PgException pg && "0A000".equals(pg.getSqlState())
        && pg.getErrorMessage() != null && pg.getErrorMessage().contains("must not change result type");
  }

  private PgdoException tooLarge() {
    return new PgdoException(ErrorCode.RESULT_TOO_LARGE, "the result is over the limit of "
        + limits.maxResultRows() + " rows or " + limits.maxResultBytes() + " bytes");
  }

  private Future<JsonObject> encode(SqlConnection conn, TenantPool pool, QueryRequest.Statement statement,
                                    QueryRequest.Format format, Outcome outcome) {
    LimitedRows collected = outcome.result().value();
    if (collected.overflow) {
      return Future.failedFuture(tooLarge());
    }
    WireTap.Column[] columns = outcome.columns();
    JsonObject answer = new JsonObject();
    CommandTag tag = outcome.tag() == null ? null : CommandTag.parse(outcome.tag());
    if (format == QueryRequest.Format.TEXT) {
      answer.put("command", tag == null ? statement.verb() : tag.words())
          .put("rowCount", tag == null ? null : tag.count())
          .put("fields", RowEncoder.textFields(columns))
          .put("rows", RowEncoder.textRows(collected.rows, columns.length));
      return Future.succeededFuture(checkSize(collected, answer));
    }
    answer.put("command", tag == null ? statement.verb() : tag.verb())
        .put("rowCount", tag == null ? null : tag.count());
    return catalog.resolve(pool.tenant(), conn, columns).map(types -> {
      boolean asArray = statement.rowMode() == QueryRequest.RowMode.ARRAY;
      answer.put("fields", RowEncoder.fields(columns, types))
          .put("rows", RowEncoder.jsonRows(collected.rows, columns, types, asArray, outcome.isoDates()));
      return checkSize(collected, answer);
    });
  }

  /** The tap counts PostgreSQL's bytes; JSON can be larger (escapes, nesting): measured when near the cap. */
  private JsonObject checkSize(LimitedRows collected, JsonObject answer) {
    if (collected.estimatedBytes > limits.maxResultBytes() / 2
        && answer.getJsonArray("rows").toBuffer().length() > limits.maxResultBytes()) {
      throw new PgdoException(ErrorCode.RESULT_TOO_LARGE,
          "the result is over the limit of " + limits.maxResultBytes() + " bytes");
    }
    return answer;
  }
}
