package dev.pgdo.compute;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import dev.pgdo.bus.Timings;
import dev.pgdo.db.SqlQueries;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Tuple;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlConnection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs a {@link QueryRequest} on the tenant's pool: one statement on its own, or all of them in
 * one transaction with the requested isolation level and access mode (all or nothing).
 * Answers API.md's body without {@code compute}, with {@code timings.connectMs/queryMs}.
 *
 * <p>PostgreSQL's {@code statement_timeout} is the first deadline, but a tenant can change it in
 * its session; so a watchdog also sends PostgreSQL a cancel request when a request outlives the
 * limit, and {@link #cancel} does the same for a client that went away. Confined to the member's
 * event loop.
 *
 * <p>Transaction integrity does not rest on reading SQL: after every statement the
 * {@link WireTap} has PostgreSQL's own transaction status (ReadyForQuery). A statement that
 * changed it (a disguised BEGIN outside a transaction, a COMMIT or ROLLBACK inside the service's
 * own) fails the request with {@code invalid_request} and is rolled back where PostgreSQL still
 * can; a connection never goes back to the pool inside a transaction (rolled back, or closed).
 */
final class QueryExecutor {

  /** ReadyForQuery transaction statuses (PostgreSQL protocol). */
  private static final char IDLE = 'I';
  private static final char IN_TRANSACTION = 'T';
  private static final String ROLLBACK = "ROLLBACK";

  /** Lets PostgreSQL's own statement_timeout fire first; the watchdog is the backstop. */
  private static final long WATCHDOG_GRACE_MS = 250;

  private final Vertx vertx;
  private final StatementRunner runner;
  private final long statementTimeoutMs;
  private final Map<String, Cancellable> running = new HashMap<>();

  QueryExecutor(Vertx vertx, StatementRunner runner, long statementTimeoutMs) {
    this.vertx = vertx;
    this.runner = runner;
    this.statementTimeoutMs = statementTimeoutMs;
  }

  /** What a request learnt of its connection, for {@code compute.warm}: set once the pool lent it one. */
  static final class ConnectionUse {
    /** The connection was open already: the request paid no connection set-up. */
    boolean warm;
  }

  /**
   * @param cancelId an id under which {@link #cancel} can stop this request, or null
   * @param use      told whether the request's connection was warm, whether the request then
   *                 succeeds or fails
   */
  Future<JsonObject> execute(QueryRequest request, TenantPool pool, String cancelId, ConnectionUse use) {
    long start = System.nanoTime();
    long[] connectedAt = new long[1];
    return pool.withConnection(conn -> {
      connectedAt[0] = System.nanoTime();
      Cancellable cancellable = new Cancellable(conn);
      long watchdog = vertx.setTimer(statementTimeoutMs + WATCHDOG_GRACE_MS, id -> cancellable.cancel());
      if (cancelId != null) {
        running.put(cancelId, cancellable);
      }
      WireTap tap = WireTap.of(conn);
      use.warm = tap.warm();
      if (mayLeaveSessionState(request)) {
        tap.suspectSessionState();
      }
      Future<List<JsonObject>> results;
      if (request.idempotencyKey() != null && !request.readOnly()) {
        results = idempotent(conn, tap, pool, request);
      } else if (request.transaction()) {
        results = inTransaction(conn, request, () -> runAll(conn, tap, pool, request, IN_TRANSACTION));
      } else {
        results = runAll(conn, tap, pool, request, IDLE);
      }
      results = results.transform(done -> leaveIdle(conn, tap).transform(v -> done.succeeded()
          ? Future.succeededFuture(done.result()) : Future.failedFuture(done.cause())));
      return results.andThen(done -> {
        vertx.cancelTimer(watchdog);
        if (cancelId != null) {
          running.remove(cancelId);
        }
      }).compose(done -> cancellable.absorbLateCancel().map(done),
          failed -> cancellable.absorbLateCancel().compose(v -> Future.failedFuture(failed)));
    }).map(results -> {
      long end = System.nanoTime();
      JsonObject body = request.batch()
          ? new JsonObject().put("results", new JsonArray(results))
          : results.get(0);
      return body.put("timings", new JsonObject()
          .put("connectMs", Timings.millis(connectedAt[0] - start))
          .put("queryMs", Timings.millis(end - connectedAt[0])));
    });
  }

  /** Words of the direct ways to leave session state: advisory locks, cursors, memory settings. */
  private static final List<String> SESSION_STATE_WORDS = List.of("advisory", "cursor", "set_config", "_mem");

  /**
   * True when a statement is a {@code SET}, {@code RESET} or {@code DECLARE}, or names advisory
   * locks, cursors, {@code set_config} or a memory setting: the direct ways to leave session
   * state behind. Only a hint that brings the session reset forward (see
   * {@link TenantPool#SESSION_RESET}); a wrong answer harms no other tenant.
   */
  static boolean mayLeaveSessionState(QueryRequest request) {
    for (QueryRequest.Statement statement : request.statements()) {
      String verb = statement.verb();
      if (verb.equals("SET") || verb.equals("RESET") || verb.equals("DECLARE")) {
        return true;
      }
      String sql = statement.sql().toLowerCase(Locale.ROOT);
      for (String word : SESSION_STATE_WORDS) {
        if (sql.contains(word)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Cancels the statement running for {@code cancelId}, if any. */
  void cancel(String cancelId) {
    Cancellable request = running.get(cancelId);
    if (request != null) {
      request.cancel();
    }
  }

  /**
   * A running request that may be cancelled. PostgreSQL applies a cancel request to whatever the
   * backend runs when it arrives, so a cancel sent just as the request ended could hit the next
   * request on the pooled connection. A cancelled request therefore keeps its connection a
   * moment longer with a short sleep that absorbs a late cancel before the connection is reused.
   */
  private static final class Cancellable {

    private static final String ABSORB = "SELECT pg_catalog.pg_sleep(0.05)";

    private final SqlConnection conn;
    private boolean cancelled;

    Cancellable(SqlConnection conn) {
      this.conn = conn;
    }

    void cancel() {
      cancelled = true;
      // A failed cancel request leaves the statement to statement_timeout; nothing else to do.
      PgConnection.cast(conn).cancelRequest();
    }

    Future<Void> absorbLateCancel() {
      return cancelled ? conn.query(ABSORB).execute().<Void>mapEmpty().otherwiseEmpty() : Future.succeededFuture();
    }
  }

  /** Runs {@code work} in one transaction with the request's isolation and access mode; all or nothing. */
  private <T> Future<T> inTransaction(SqlConnection conn, QueryRequest request,
                                      java.util.function.Supplier<Future<T>> work) {
    String mode = "SET TRANSACTION ISOLATION LEVEL " + request.isolation().sql().toUpperCase(java.util.Locale.ROOT)
        + (request.readOnly() ? " READ ONLY" : " READ WRITE")
        + (request.deferrable() ? " DEFERRABLE" : "");
    return conn.begin().compose(tx -> conn.query(mode).execute()
        .compose(set -> work.get())
        .compose(results -> tx.commit().map(results))
        .recover(err -> tx.rollback().transform(ignored -> Future.failedFuture(err))));
  }

  /**
   * A keyed write: in one transaction, answer the stored response if the key was seen, else run
   * the statements and store their response. A concurrent twin blocks on the key's row and, once
   * the first commits, fails on the primary key; it then answers the stored response. A key
   * reused for a different request is refused.
   */
  private Future<List<JsonObject>> idempotent(SqlConnection conn, WireTap tap, TenantPool pool, QueryRequest request) {
    String key = request.idempotencyKey();
    String fingerprint = fingerprint(request);
    Future<Void> ready = pool.idempotencyTableReady() ? Future.succeededFuture()
        : conn.query(SqlQueries.CREATE_IDEMPOTENCY_TABLE).execute()
            .otherwiseEmpty() // a concurrent creator won; the table is there either way
            .map(v -> {
              pool.markIdempotencyTableReady();
              return null;
            });
    return ready.compose(v -> inTransaction(conn, request, () -> storedResponse(conn, key, fingerprint)
            .compose(stored -> stored != null ? Future.succeededFuture(stored)
                : runAll(conn, tap, pool, request, IN_TRANSACTION).compose(results -> conn.preparedQuery(SqlQueries.SAVE_IDEMPOTENT_RESPONSE)
                    .execute(Tuple.of(key, new JsonObject().put("request", fingerprint)
                        .put("results", new JsonArray(results)).encode()))
                    .map(saved -> results)))))
        .recover(err -> isUniqueViolation(err)
            ? storedResponse(conn, key, fingerprint).compose(stored -> stored != null ? Future.succeededFuture(stored)
                : Future.failedFuture(err))
            : Future.failedFuture(err))
        .andThen(done -> {
          if (ThreadLocalRandom.current().nextInt(64) == 0) {
            conn.query(SqlQueries.PURGE_IDEMPOTENCY).execute(); // best effort; keeps the table small
          }
        });
  }

  /** What a repeat must match: the request without its key, as JSON, hashed. */
  private static String fingerprint(QueryRequest request) {
    JsonObject json = request.toJson();
    json.remove("idempotencyKey");
    return java.util.HexFormat.of().formatHex(dev.pgdo.tenant.Secrets.hash(json.encode()));
  }

  private static Future<List<JsonObject>> storedResponse(SqlConnection conn, String key, String fingerprint) {
    return conn.preparedQuery(SqlQueries.FIND_IDEMPOTENT_RESPONSE).execute(Tuple.of(key)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      // every value arrives as PostgreSQL's text (WireTap): the jsonb column is JSON text
      JsonObject stored = new JsonObject(rows.iterator().next().getString(0));
      if (!fingerprint.equals(stored.getString("request"))) {
        throw new PgdoException(ErrorCode.INVALID_REQUEST,
            "this Idempotency-Key was already used for a different request");
      }
      List<JsonObject> list = new ArrayList<>();
      stored.getJsonArray("results").forEach(r -> list.add((JsonObject) r));
      return list;
    });
  }

  private static boolean isUniqueViolation(Throwable err) {
    return err instanceof PgException pg && "23505".equals(pg.getSqlState());
  }

  /** @param expected the transaction status every statement must leave: {@code I}, or {@code T} inside ours */
  private Future<List<JsonObject>> runAll(SqlConnection conn, WireTap tap, TenantPool pool, QueryRequest request,
                                          char expected) {
    List<JsonObject> results = new ArrayList<>(request.statements().size());
    Future<Void> chain = Future.succeededFuture();
    for (QueryRequest.Statement statement : request.statements()) {
      chain = chain.compose(v -> runner.run(conn, pool, statement, request.format()).map(result -> {
        if (tap.transactionStatus() != expected) {
          throw new PgdoException(ErrorCode.INVALID_REQUEST, "statement changed the transaction state: "
              + "transaction control is not accepted inside a request; send several statements as a "
              + "\"transaction\" and the service opens and ends it");
        }
        results.add(result);
        return null;
      }));
    }
    return chain.map(v -> results);
  }

  /**
   * Hands the connection back only outside a transaction: a statement that left one open is
   * rolled back, and a connection still not idle after that is closed (the pool drops it).
   */
  private static Future<Void> leaveIdle(SqlConnection conn, WireTap tap) {
    if (tap.transactionStatus() == IDLE) {
      return Future.succeededFuture();
    }
    return conn.query(ROLLBACK).execute().<Void>mapEmpty().otherwiseEmpty().compose(v -> {
      if (tap.transactionStatus() != IDLE) {
        tap.closeConnection();
      }
      return Future.succeededFuture();
    });
  }

}
