package dev.pgdo.web;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Gives every request an id ({@code X-Request-Id}: the client's, when it is a sane token, else a
 * new UUID), echoes it, and writes one line per request at debug level with that id.
 */
final class RequestLog {

  private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
  private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /** The routing-context key holding the request id. */
  static final String REQUEST_ID = "requestId";

  private RequestLog() {
  }

  /**
   * A random (version 4) UUID from the thread's own generator: a request id needs to be unique,
   * not unguessable, and {@code UUID.randomUUID()} draws from the JVM's shared SecureRandom on
   * every request.
   */
  private static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  static void handle(RoutingContext ctx) {
    String given = ctx.request().getHeader("X-Request-Id");
    String id = given != null && SANE_ID.matcher(given).matches() ? given : newId();
    long start = System.nanoTime();
    ctx.put(REQUEST_ID, id);
    ctx.response().putHeader("X-Request-Id", id);
    if (log.isDebugEnabled()) {
      ctx.addEndHandler(done -> {
        MDC.put(REQUEST_ID, id);
        try {
          log.debug("request {} {} {} -> {} in {} ms", id, ctx.request().method(), ctx.request().path(),
              ctx.response().getStatusCode(), (System.nanoTime() - start) / 1_000_000.0);
        } finally {
          MDC.remove(REQUEST_ID);
        }
      });
    }
    ctx.next();
  }
}
