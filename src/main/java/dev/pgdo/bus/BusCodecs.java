package dev.pgdo.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * The event-bus codecs of the query path. Vert.x copies a {@link JsonObject} deeply on every
 * local hop (its codec's {@code transform}), and a request sent as JSON is validated and scanned
 * again by the member. A query and its answer are built once and never touched by the side that
 * sent them, so on a local hop these codecs hand the object itself over; between nodes they
 * write the same JSON as Vert.x's own codec.
 *
 * <p>Only {@link dev.pgdo.client.PgdoClient} sends a {@link QueryRequest} (its node registered
 * the codecs), and a member answers with {@link #ANSWER} only such a request: a bus client that
 * sends API.md's JSON itself gets plain JSON back, whatever codecs its own JVM knows.
 */
public final class BusCodecs {

  /** The answer codec's name: a {@link JsonObject} passed by reference on a local hop. */
  public static final String ANSWER = "pgdo.answer";

  private static final String REGISTERED = "pgdo.codecs";

  private BusCodecs() {
  }

  /** Registers both codecs on {@code vertx}'s event bus, once per Vert.x instance (idempotent, thread-safe). */
  public static void register(Vertx vertx) {
    if (vertx.sharedData().getLocalMap(REGISTERED).putIfAbsent("registered", Boolean.TRUE) == null) {
      vertx.eventBus().registerDefaultCodec(QueryRequest.class, new RequestCodec());
      vertx.eventBus().registerCodec(new AnswerCodec());
    }
  }

  /** Options for a member's reply to a {@link QueryRequest}. */
  public static DeliveryOptions answerOptions() {
    return new DeliveryOptions().setCodecName(ANSWER);
  }

  private static void writeJson(Buffer buffer, JsonObject json) {
    Buffer encoded = json.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  private static JsonObject readJson(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  /** A validated request: by reference on a local hop, as API.md's JSON (validated again) between nodes. */
  private static final class RequestCodec implements MessageCodec<QueryRequest, QueryRequest> {

    @Override
    public void encodeToWire(Buffer buffer, QueryRequest request) {
      writeJson(buffer, request.toJson());
    }

    @Override
    public QueryRequest decodeFromWire(int pos, Buffer buffer) {
      return QueryRequest.fromJson(readJson(pos, buffer));
    }

    @Override
    public QueryRequest transform(QueryRequest request) {
      return request; // a record; its parameters are only read
    }

    @Override
    public String name() {
      return "pgdo.request";
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  /** A member's answer: by reference on a local hop (the member lets go of it), as JSON between nodes. */
  private static final class AnswerCodec implements MessageCodec<JsonObject, JsonObject> {

    @Override
    public void encodeToWire(Buffer buffer, JsonObject answer) {
      writeJson(buffer, answer);
    }

    @Override
    public JsonObject decodeFromWire(int pos, Buffer buffer) {
      return readJson(pos, buffer);
    }

    @Override
    public JsonObject transform(JsonObject answer) {
      return answer;
    }

    @Override
    public String name() {
      return ANSWER;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
