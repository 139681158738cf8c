package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.TenantId;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.util.Locale;
import java.util.Set;

/**
 * The HTTP protocol of Neon's serverless driver ({@code @neondatabase/serverless} 1.2.0,
 * {@code neon()} with {@code neonConfig.fetchEndpoint} set to this node's {@code /sql}), as read
 * in the driver's source:
 * <ul>
 *   <li>the caller is the {@code Neon-Connection-String} header: its user name is the tenant id,
 *       its password the tenant's token; the database must be named after the tenant too. An
 *       {@code Authorization: Bearer} token (the driver's {@code authToken} option) wins over
 *       the password;</li>
 *   <li>the body is {@code {"query", "params"}} or {@code {"queries": [...]}} (one transaction);
 *       it arrives as {@code text/plain;charset=UTF-8} since the driver sets no content type;</li>
 *   <li>{@code Neon-Array-Mode} picks array rows or rows keyed by column name; values are always
 *       PostgreSQL's text ({@code Neon-Raw-Text-Output}: the driver applies its own parsers);</li>
 *   <li>{@code Neon-Batch-Isolation-Level} ({@code ReadUncommitted}, {@code ReadCommitted},
 *       {@code RepeatableRead}, {@code Serializable}), {@code Neon-Batch-Read-Only} and
 *       {@code Neon-Batch-Deferrable} ({@code true}/{@code false}) apply to {@code queries} only,
 *       as in Neon.</li>
 * </ul>
 * Answers and errors are written by {@link NeonAnswers} and {@link NeonErrors}. Stateless.
 */
final class NeonDialect implements QueryDialect {

  static final String PATH = "/sql";

  /** Neon's request limit; larger bodies get a 413, as from Neon. */
  static final long MAX_BODY_BYTES = 10L * 1024 * 1024;

  static final String CONNECTION_STRING = "Neon-Connection-String";
  static final String RAW_TEXT_OUTPUT = "Neon-Raw-Text-Output";
  static final String ARRAY_MODE = "Neon-Array-Mode";
  static final String ISOLATION_LEVEL = "Neon-Batch-Isolation-Level";
  static final String READ_ONLY = "Neon-Batch-Read-Only";
  static final String DEFERRABLE = "Neon-Batch-Deferrable";

  /** The routing context key under which the caller's user name waits for the error encoder. */
  static final String USER_KEY = "pgdo.neon.user";

  private final WebMetrics metrics;

  NeonDialect(WebMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * CORS for browser code: any origin (the tenant token, not a cookie, authorizes), and every
   * header the driver sends, {@code Neon-Batch-Deferrable} included.
   */
  static CorsHandler cors() {
    return CorsHandler.create()
        .addOrigin("*")
        .allowedMethods(Set.of(HttpMethod.POST, HttpMethod.OPTIONS))
        .allowedHeaders(Set.of(CONNECTION_STRING, RAW_TEXT_OUTPUT, ARRAY_MODE, ISOLATION_LEVEL, READ_ONLY,
            DEFERRABLE, "Authorization", "Content-Type", "Idempotency-Key", "X-Colo", "X-Request-Id"))
        .exposedHeaders(Set.of("X-Pgdo-Member", "X-Pgdo-Region", "X-Pgdo-Warm", "Server-Timing", "X-Request-Id"))
        .maxAgeSeconds(86_400);
  }

  @Override
  public String label() {
    return "neon";
  }

  @Override
  public Caller caller(RoutingContext ctx) {
    NeonConnectionString target = NeonConnectionString.parse(ctx.request().getHeader(CONNECTION_STRING));
    if (!TenantId.isValid(target.user())) {
      throw new PgdoException(ErrorCode.INVALID_TENANT,
          "the connection string's user name is the tenant id, and tenant ids match ^[a-z0-9][a-z0-9_-]{0,62}$");
    }
    if (!target.database().equals(target.user())) {
      throw NeonConnectionString.invalid("database \"" + target.database() + "\" does not match the user name \""
          + target.user() + "\": the user name is the tenant id, and the tenant's database has the same name", "3D000");
    }
    ctx.put(USER_KEY, target.user());
    String bearer = AccessControl.bearer(ctx);
    return new Caller(target.user(), bearer != null ? bearer : target.password());
  }

  @Override
  public JsonObject queryBody(RoutingContext ctx) {
    if (!flag(ctx, RAW_TEXT_OUTPUT, true)) {
      throw invalid(RAW_TEXT_OUTPUT + ": false is not supported: values are always PostgreSQL's text "
          + "(the driver parses them itself)");
    }
    flag(ctx, ARRAY_MODE, false); // validated here; applied by the answer encoder
    JsonObject neon = body(ctx);
    JsonObject request = new JsonObject().put("rowMode", "array").put("format", "text");
    if (neon.containsKey("queries")) {
      if (neon.containsKey("query")) {
        throw invalid("give either 'query' or 'queries', not both");
      }
      if (!(neon.getValue("queries") instanceof JsonArray queries)) {
        throw invalid("'queries' must be an array of {\"query\", \"params\"} objects");
      }
      if (queries.isEmpty()) {
        checkBatchOptions(ctx, request);
        return null;
      }
      JsonArray transaction = new JsonArray();
      for (int i = 0; i < queries.size(); i++) {
        if (!(queries.getValue(i) instanceof JsonObject query)) {
          throw invalid("queries[" + i + "] must be an object with 'query'");
        }
        transaction.add(statement(query, "queries[" + i + "]."));
      }
      request.put("transaction", transaction);
      checkBatchOptions(ctx, request);
      return request;
    }
    // The batch headers come only with 'queries' (as in Neon); still, a bad value is an error.
    checkBatchOptions(ctx, new JsonObject());
    statement(neon, "").forEach(e -> request.put(e.getKey(), e.getValue()));
    return request;
  }

  @Override
  public void answer(RoutingContext ctx, JsonObject result) {
    ErrorResponses.sendJson(ctx, 200, NeonAnswers.encode(result, flag(ctx, ARRAY_MODE, false)));
  }

  @Override
  public void answerNothingToRun(RoutingContext ctx) {
    ErrorResponses.sendJson(ctx, 200, new JsonObject().put("results", new JsonArray()));
  }

  @Override
  public void fail(RoutingContext ctx, Throwable failure) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ErrorResponses.Resolved error = ErrorResponses.resolve(failure, ctx.statusCode());
    metrics.error(error.code());
    NeonErrors.Answer answer = NeonErrors.encode(error, ctx.get(USER_KEY));
    ErrorResponses.send(ctx, answer.status(), answer.body(), error.retryAfterSeconds());
  }

  private static JsonObject body(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      throw invalid("the body is empty; expected {\"query\", \"params\"} or {\"queries\": [...]}");
    }
    try {
      return new JsonObject(raw);
    } catch (RuntimeException e) {
      throw invalid("the body is not a JSON object");
    }
  }

  /** One Neon query as a {@code QueryRequest} statement; its own checks run in {@code QueryRequest}. */
  private static JsonObject statement(JsonObject query, String where) {
    if (!(query.getValue("query") instanceof String sql)) {
      throw invalid("'" + where + "query' must be a string");
    }
    Object params = query.getValue("params");
    if (params != null && !(params instanceof JsonArray)) {
      throw invalid("'" + where + "params' must be an array");
    }
    return new JsonObject().put("sql", sql).put("params", params == null ? new JsonArray() : params);
  }

  private static void checkBatchOptions(RoutingContext ctx, JsonObject request) {
    String level = ctx.request().getHeader(ISOLATION_LEVEL);
    if (level != null) {
      request.put("isolation", isolation(level.trim()));
    }
    if (ctx.request().getHeader(READ_ONLY) != null) {
      request.put("readOnly", flag(ctx, READ_ONLY, false));
    }
    if (ctx.request().getHeader(DEFERRABLE) != null) {
      request.put("deferrable", flag(ctx, DEFERRABLE, false));
    }
  }

  /** Neon's level names, as the driver's {@code isolationLevel} option spells them. */
  private static String isolation(String level) {
    return switch (level.toLowerCase(Locale.ROOT)) {
      // PostgreSQL runs READ UNCOMMITTED as READ COMMITTED
      case "readuncommitted", "readcommitted" -> "read committed";
      case "repeatableread" -> "repeatable read";
      case "serializable" -> "serializable";
      default -> throw invalid(ISOLATION_LEVEL + " must be ReadUncommitted, ReadCommitted, RepeatableRead "
          + "or Serializable");
    };
  }

  private static boolean flag(RoutingContext ctx, String header, boolean absent) {
    String value = ctx.request().getHeader(header);
    if (value == null) {
      return absent;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(header + " must be true or false");
    };
  }

  private static PgdoException invalid(String message) {
    return new PgdoException(ErrorCode.INVALID_REQUEST, message);
  }
}
