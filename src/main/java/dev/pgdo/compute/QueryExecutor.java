package dev.pgdo.compute;

import dev.pgdo.bus.QueryRequest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link QueryRequest} on the tenant's pool: one statement on its own, or all of them in
 * one transaction with the requested isolation level and access mode (all or nothing).
 * Answers API.md's body without {@code compute}, with {@code timings.connectMs/queryMs}.
 */
final class QueryExecutor {

  private final StatementRunner runner;

  QueryExecutor(StatementRunner runner) {
    this.runner = runner;
  }

  Future<JsonObject> execute(QueryRequest request, TenantPool pool) {
    long start = System.nanoTime();
    long[] connectedAt = new long[1];
    return pool.withConnection(conn -> {
      connectedAt[0] = System.nanoTime();
      return request.transaction() ? inTransaction(conn, pool, request) : runAll(conn, pool, request);
    }).map(results -> {
      long end = System.nanoTime();
      JsonObject body = request.batch()
          ? new JsonObject().put("results", new JsonArray(results))
          : results.get(0);
      return body.put("timings", new JsonObject()
          .put("connectMs", millis(connectedAt[0] - start))
          .put("queryMs", millis(end - connectedAt[0])));
    });
  }

  private Future<List<JsonObject>> inTransaction(SqlConnection conn, TenantPool pool, QueryRequest request) {
    String mode = "SET TRANSACTION ISOLATION LEVEL " + request.isolation().sql().toUpperCase()
        + (request.readOnly() ? " READ ONLY" : " READ WRITE");
    return conn.begin().compose(tx -> conn.query(mode).execute()
        .compose(set -> runAll(conn, pool, request))
        .compose(results -> tx.commit().map(results))
        .recover(err -> tx.rollback().transform(ignored -> Future.failedFuture(err))));
  }

  private Future<List<JsonObject>> runAll(SqlConnection conn, TenantPool pool, QueryRequest request) {
    List<JsonObject> results = new ArrayList<>(request.statements().size());
    Future<Void> chain = Future.succeededFuture();
    for (QueryRequest.Statement statement : request.statements()) {
      chain = chain.compose(v -> runner.run(conn, pool, statement).map(result -> {
        results.add(result);
        return null;
      }));
    }
    return chain.map(v -> results);
  }

  static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
