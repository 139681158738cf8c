package dev.pgdo.web;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x's HTTP/1.x request decoder with two edge rules Netty does not apply by itself:
 * <ul>
 *   <li>Ambiguous framing is an invalid request (RFC 9112 section 6.3): {@code Content-Length}
 *       together with {@code Transfer-Encoding} (Netty would drop the length and read chunks,
 *       so bytes a front proxy counted as body could become a second request here), and any
 *       {@code Transfer-Encoding} other than one {@code chunked}. The invalid-request handler
 *       answers 400 and closes.</li>
 *   <li>A header deadline: a connection is closed when a request's headers are not complete
 *       {@code headerTimeoutMs} after the connection opened or after that request's first
 *       byte. Between requests a keep-alive connection is governed by the server's idle timeout.</li>
 * </ul>
 * One instance per connection, used on its event loop only.
 */
final class GuardedRequestDecoder extends VertxHttpRequestDecoder {

  /** The request a decoder marked invalid for its framing. */
  static final class AmbiguousFramingException extends IllegalArgumentException {
    AmbiguousFramingException(String message) {
      super(message);
    }
  }

  private final long headerTimeoutMs;
  private ScheduledFuture<?> headerDeadline;
  private boolean inMessage;

  GuardedRequestDecoder(HttpServerOptions options, long headerTimeoutMs) {
    super(options);
    this.headerTimeoutMs = headerTimeoutMs;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx);
    armHeaderDeadline(ctx); // the first request's headers are due from the connection's start
    inMessage = true;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (!inMessage && buffer.isReadable()) {
      inMessage = true;
      armHeaderDeadline(ctx);
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      Object decoded = out.get(i);
      if (decoded instanceof HttpRequest) {
        cancelHeaderDeadline();
      }
      if (decoded instanceof LastHttpContent) {
        inMessage = false;
      }
    }
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage message) {
    List<String> encodings = message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (!encodings.isEmpty() && message.decoderResult().isSuccess()) {
      if (message.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
        message.setDecoderResult(DecoderResult.failure(
            new AmbiguousFramingException("a request cannot carry both Content-Length and Transfer-Encoding")));
      } else if (encodings.size() != 1 || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(encodings.get(0).trim())) {
        message.setDecoderResult(DecoderResult.failure(
            new AmbiguousFramingException("the only Transfer-Encoding accepted is a single 'chunked'")));
      }
    }
    return super.isContentAlwaysEmpty(message);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    cancelHeaderDeadline();
    super.handlerRemoved0(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelHeaderDeadline();
    super.channelInactive(ctx);
  }

  private void armHeaderDeadline(ChannelHandlerContext ctx) {
    cancelHeaderDeadline();
    headerDeadline = ctx.executor().schedule(() -> {
      ctx.close();
    }, headerTimeoutMs, TimeUnit.MILLISECONDS);
  }

  private void cancelHeaderDeadline() {
    if (headerDeadline != null) {
      headerDeadline.cancel(false);
      headerDeadline = null;
    }
  }
}
