package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP edge limits of one web verticle instance: the server options (idle timeout, no
 * HTTP/2 cleartext), the per-connection {@link GuardedRequestDecoder} (header deadline,
 * ambiguous framing) and the node-wide cap on open connections. A connection over the cap is
 * served one answer, 503 {@code no_compute} with {@code Retry-After}, and closed.
 *
 * <p>Used on the verticle's event loop only; the open-connection count is shared by the node's
 * instances through Vert.x's local shared data.
 */
final class ConnectionGuard {

  /** The node's open HTTP connections. */
  private static final class OpenConnections implements Shareable {
    final AtomicInteger count = new AtomicInteger();
  }

  private final AppConfig.Http http;
  private final HttpServerOptions options;
  private final AtomicInteger open;
  /** Connections of this instance accepted over the cap; each gets one 503. */
  private final Set<HttpConnection> overCap = new HashSet<>();
  /** Connections answered with a rejection: requests pipelined behind it are not served. */
  private final Set<HttpConnection> closing = new HashSet<>();

  ConnectionGuard(Vertx vertx, AppConfig.Http http) {
    this.http = http;
    this.options = new HttpServerOptions()
        .setPort(http.port())
        .setHost(http.host())
        // HTTP/1.1 only: the edge checks below are HTTP/1.1's, and a front proxy speaks it to us
        .setHttp2ClearTextEnabled(false)
        // no byte either way for this long: a keep-alive connection between requests is closed
        .setIdleTimeout((int) http.idleTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    LocalMap<String, OpenConnections> shared = vertx.sharedData().getLocalMap("pgdo.http.connections");
    shared.putIfAbsent("open", new OpenConnections());
    this.open = shared.get("open").count;
  }

  HttpServerOptions options() {
    return options;
  }

  /** The server's connection handler: counts, and installs the guarded decoder. */
  void onConnection(HttpConnection connection) {
    int now = open.incrementAndGet();
    connection.closeHandler(v -> {
      open.decrementAndGet();
      overCap.remove(connection);
      closing.remove(connection);
    });
    if (now > http.maxConnections()) {
      overCap.add(connection);
    }
    if (connection instanceof Http1xServerConnection http1) {
      // Called before the connection's first byte is decoded (HTTP/2 cleartext is off, so the
      // HTTP/1.x pipeline is built when the connection is accepted).
      http1.channelHandlerContext().pipeline()
          .replace("httpDecoder", "httpDecoder", new GuardedRequestDecoder(options, http.headerTimeoutMs()));
    }
  }

  /** @return false when the request was answered here (over the cap) and must not be routed */
  boolean admit(HttpServerRequest request) {
    if (closing.contains(request.connection())) {
      request.connection().close();
      return false;
    }
    if (!overCap.remove(request.connection())) {
      return true;
    }
    closing.add(request.connection());
    request.response()
        .setStatusCode(503)
        .putHeader("Content-Type", "application/json")
        .putHeader("Retry-After", "1")
        .putHeader("Connection", "close")
        .end(new PgdoException(ErrorCode.NO_COMPUTE, "the node has too many open connections; retry")
            .toJson().toBuffer())
        .onComplete(done -> request.connection().close());
    return false;
  }

  /** A 400 {@code invalid_request} for a request that never reached the router; nothing after it is served. */
  void reject(HttpServerRequest request, String why) {
    if (!closing.add(request.connection())) {
      request.connection().close(); // what follows a rejected request is not a request
      return;
    }
    ErrorResponses.reject(request, why);
  }
}
