package dev.pgdo.web;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Writes a failure (already resolved to API.md's status and body) as Neon answers it. The
 * driver reads an error body only from a 400, as a flat object whose fields it copies into its
 * {@code NeonDbError} ({@code message}, {@code code} = SQLSTATE, {@code position} as a string,
 * ...); any other status becomes "Server error (HTTP status N): body". So everything the user
 * should see in {@code NeonDbError} is a 400: SQL errors, bad requests, a wrong token (as
 * PostgreSQL's 28P01) and a statement timeout (57014). Limits keep Neon's statuses: 413 for the
 * body, 507 for the response; 429 and 503 keep theirs (with {@code Retry-After}). Stateless.
 */
final class NeonErrors {

  /** A Neon error answer. */
  record Answer(int status, JsonObject body) {
  }

  /** The fields of PostgreSQL's error the member passes on, in the driver's names. */
  private static final List<String> PG_FIELDS = List.of("severity", "detail", "hint", "where", "schema", "table",
      "column", "dataType", "constraint", "internalQuery");

  private NeonErrors() {
  }

  /** @param user the connection string's user name, or null when it was not read */
  static Answer encode(ErrorResponses.Resolved resolved, String user) {
    JsonObject error = resolved.body().getJsonObject("error");
    String message = error.getString("message");
    return switch (resolved.code()) {
      case "sql_error" -> new Answer(400, sqlError(error));
      case "unauthorized" -> new Answer(400, new JsonObject()
          .put("message", "password authentication failed for user \"" + (user == null ? "" : user) + "\"")
          .put("code", "28P01").put("severity", "FATAL"));
      case "query_timeout" -> new Answer(400, new JsonObject()
          .put("message", "canceling statement due to statement timeout").put("code", "57014")
          .put("severity", "ERROR"));
      case "result_too_large" -> new Answer(507, new JsonObject().put("message", message));
      default -> {
        JsonObject body = new JsonObject().put("message", message);
        if (error.getString("sqlState") != null) {
          body.put("code", error.getString("sqlState"));
        }
        yield new Answer(resolved.status(), body);
      }
    };
  }

  private static JsonObject sqlError(JsonObject error) {
    JsonObject body = new JsonObject().put("message", error.getString("message"))
        .put("code", error.getString("sqlState"));
    Object position = error.getValue("position");
    if (position != null) {
      body.put("position", position.toString());
    }
    Object internalPosition = error.getValue("internalPosition");
    if (internalPosition != null) {
      body.put("internalPosition", internalPosition.toString());
    }
    for (String key : PG_FIELDS) {
      if (error.getValue(key) != null) {
        body.put(key, error.getValue(key));
      }
    }
    return body;
  }
}
