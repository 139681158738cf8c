package dev.pgdo.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * A failure with a public error code. Its {@link #toJson()} is the body clients see:
 * {@code {"error": {"code", "message", ...details}}}. Carries no stack trace: it is an answer,
 * not a bug.
 */
public final class PgdoException extends RuntimeException {

  private final ErrorCode code;
  private final JsonObject details;

  public PgdoException(ErrorCode code, String message) {
    this(code, message, new JsonObject());
  }

  public PgdoException(ErrorCode code, String message, JsonObject details) {
    super(message, null, false, false);
    this.code = code;
    this.details = details;
  }

  public ErrorCode code() {
    return code;
  }

  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code.id()).put("message", getMessage());
    details.forEach(e -> error.put(e.getKey(), e.getValue()));
    return new JsonObject().put("error", error);
  }

  /** Fails a bus message the way API.md's "Event-bus clients" section says. */
  public void failMessage(Message<?> message) {
    message.fail(code.failureCode(), toJson().encode());
  }

  /** The reverse of {@link #failMessage}: the error a compute member sent back, or null if it is not one. */
  public static JsonObject errorBody(ReplyException e) {
    String text = e.getMessage();
    if (text == null || !text.startsWith("{")) {
      return null;
    }
    try {
      JsonObject body = new JsonObject(text);
      return body.getJsonObject("error") != null ? body : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }
}
