package dev.pgdo.compute;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.internal.Connection;
import io.vertx.sqlclient.internal.SqlConnectionInternal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wire tap: a Netty handler in a tenant connection's pipeline, between the socket and
 * vertx-pg-client's {@code codec}, that reads PostgreSQL's backend messages as they pass.
 *
 * <p>Why: the client picks each column's format from the type oid and decodes known types
 * into Java objects, losing PostgreSQL's own text (numeric infinities throw, intervals are
 * folded, multi-dimensional arrays vanish). An oid it does not know ({@code unknown}, 705)
 * travels as text both ways. So the tap rewrites every type oid of RowDescription and
 * ParameterDescription in place, after recording the real ones (results to a type the client
 * reads as verbatim text, parameters to 705): every result value arrives as the server's text,
 * and every parameter is sent as text that PostgreSQL parses
 * itself, as psql does. It also records what the client does not expose: the CommandComplete
 * tag, the ReadyForQuery transaction status, the session's DateStyle/IntervalStyle, and the
 * size of the running statement's DataRows, dropping them once over the byte cap (and asking
 * for a cancel) so a huge result is never held in memory.
 *
 * <p>Threading: every handler method runs on the channel's event loop; the tenant's member
 * reads the volatile outcome fields after the client completed the command, which it does only
 * after the ReadyForQuery the tap has already seen. Statement names, descriptors and the framing
 * state are confined to the channel's event loop.
 */
final class WireTap extends ChannelDuplexHandler {

  static final String NAME = "pgdo-wire-tap";
  /** PostgreSQL's {@code unknown} pseudo-type: the client sends a value of it as text, as it is. */
  static final int UNKNOWN_OID = 705;
  /**
   * What result columns are described as: the client reads {@code tsvector} in text format and
   * decodes it as the text verbatim ({@code unknown} would turn a text starting with
   * <code>{</code> into a String[]).
   */
  static final int VERBATIM_TEXT_OID = 3614;

  /** One result column as PostgreSQL described it. */
  record Column(String name, int typeOid, int tableOid, int columnNumber, int typeSize, int typeModifier) {
  }

  static final Column[] NO_COLUMNS = new Column[0];
  private static final int[] NO_PARAMS = new int[0];
  /** Far above the client's statement cache (a leaked name must not grow the map forever). */
  private static final int MAX_STATEMENTS = 512;

  private final Runnable cancel;
  private volatile ChannelHandlerContext context;

  // --- confined to the channel's event loop
  private ByteBuf cumulation;
  /** Bytes still to pass (or drop) of a DataRow whose header was seen. */
  private long streaming;
  private boolean dropping;
  private final ArrayDeque<String> describing = new ArrayDeque<>();
  private final Map<String, Column[]> columnsByStatement = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Column[]> eldest) {
      return size() > MAX_STATEMENTS;
    }
  };
  private final Map<String, int[]> paramsByStatement = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
      return size() > MAX_STATEMENTS;
    }
  };
  private long droppedAfterCancel;

  // --- written on the channel's event loop, read by the member after the command completed
  private volatile Column[] columns = NO_COLUMNS;
  private volatile int[] parameterOids = NO_PARAMS;
  private volatile String commandTag;
  private volatile char transactionStatus = 'I';
  private volatile String dateStyle = "ISO, MDY";
  private volatile String intervalStyle = "postgres";
  private volatile long rowBytes;
  private volatile boolean overflow;
  /** Set by the member before it runs a tenant statement. */
  private volatile long maxRowBytes = Long.MAX_VALUE;
  /** Times the pool lent this connection out; the member's event loop only. */
  private int lends;
  /** Loans since the connection's last session reset, and whether one of them may have left state. */
  private int lendsSinceReset;
  private boolean sessionStateSuspected;

  /** @param cancel sends PostgreSQL a cancel request for this connection's backend */
  WireTap(Runnable cancel) {
    this.cancel = cancel;
  }

  /** Puts a tap into a freshly connected client connection (before the client's codec). */
  static void install(SqlConnection conn, Runnable cancel) {
    pipeline(conn).addBefore("codec", NAME, new WireTap(cancel));
  }

  /** The tap of a connection from a tenant pool. */
  static WireTap of(SqlConnection conn) {
    WireTap tap = (WireTap) pipeline(conn).get(NAME);
    if (tap == null) {
      throw new IllegalStateException("the connection has no wire tap");
    }
    return tap;
  }

  private static ChannelPipeline pipeline(SqlConnection conn) {
    Connection c = ((SqlConnectionInternal) conn).unwrap();
    for (Connection inner = c.unwrap(); inner != c; inner = c.unwrap()) {
      c = inner;
    }
    return ((SocketConnectionBase) c).socket().channelHandlerContext().pipeline();
  }

  // ---------------------------------------------------------------- what the member reads

  /** Columns of the last statement executed (real types), empty when it returned no rows. */
  Column[] columns() {
    return columns;
  }

  /** Real parameter type oids of the statement described last. */
  int[] parameterOids() {
    return parameterOids;
  }

  /** The last CommandComplete tag ({@code "INSERT 0 1"}, {@code "SELECT 3"}, ...), null if none. */
  String commandTag() {
    return commandTag;
  }

  /** The last ReadyForQuery status: {@code I} idle, {@code T} in a transaction, {@code E} in a failed one. */
  char transactionStatus() {
    return transactionStatus;
  }

  /** True when the session prints dates and times in ISO style (DateStyle's first part). */
  boolean isoDates() {
    return dateStyle.startsWith("ISO");
  }

  String intervalStyle() {
    return intervalStyle;
  }

  /** True when the last statement's rows passed the cap and were dropped. */
  boolean overflow() {
    return overflow;
  }

  /** DataRow bytes of the last statement (counted from message headers). */
  long rowBytes() {
    return rowBytes;
  }

  void limitRowBytes(long max) {
    this.maxRowBytes = max;
  }

  /** Counts a loan of the connection by its tenant pool (a query or a keep-warm ping). */
  void lent() {
    lends++;
    lendsSinceReset++;
  }

  /** The current loan may have left session state (an advisory lock, a holdable cursor). */
  void suspectSessionState() {
    sessionStateSuspected = true;
  }

  /**
   * True when the connection should get its session reset as this loan ends: a loan suspected
   * of leaving session state, or {@code every} loans since the last reset. Restarts the count.
   */
  boolean takeResetDue(int every) {
    if (!sessionStateSuspected && lendsSinceReset < every) {
      return false;
    }
    sessionStateSuspected = false;
    lendsSinceReset = 0;
    return true;
  }

  /**
   * True when the current loan found the connection open already: the statement paid no
   * connection set-up. A connection that keep-warm opened counts, since its ping was a loan.
   */
  boolean warm() {
    return lends > 1;
  }

  // ---------------------------------------------------------------- outbound (frontend messages)

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof ByteBuf buf) {
      readFrontend(buf);
    }
    ctx.write(msg, promise);
  }

  /** The client's encoder writes whole messages per buffer; only names are read here. */
  private void readFrontend(ByteBuf buf) {
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    while (end - i >= 5) {
      byte type = buf.getByte(i);
      int length = buf.getInt(i + 1);
      if (length < 4 || i + 1 + length > end) {
        return; // startup/cancel packets (no type byte) or a partial buffer: nothing to learn
      }
      int body = i + 5;
      switch (type) {
        case 'D' -> { // Describe: 'S' statement or 'P' portal
          if (buf.getByte(body) == 'S') {
            describing.add(cString(buf, body + 1));
          }
        }
        case 'B' -> { // Bind: portal name, statement name, ...
          int statementAt = buf.indexOf(body, i + 1 + length, (byte) 0) + 1;
          startStatement(columnsByStatement.getOrDefault(cString(buf, statementAt), NO_COLUMNS));
        }
        case 'Q' -> startStatement(NO_COLUMNS);
        case 'C' -> { // Close
          if (buf.getByte(body) == 'S') {
            String name = cString(buf, body + 1);
            columnsByStatement.remove(name);
            paramsByStatement.remove(name);
          }
        }
        default -> {
        }
      }
      i += 1 + length;
    }
  }

  private void startStatement(Column[] described) {
    columns = described;
    commandTag = null;
    rowBytes = 0;
    overflow = false;
    droppedAfterCancel = 0;
  }

  // ---------------------------------------------------------------- inbound (backend messages)

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (!(msg instanceof ByteBuf buf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (cumulation == null) {
      cumulation = buf;
    } else {
      CompositeByteBuf composite;
      if (cumulation instanceof CompositeByteBuf c) {
        composite = c;
      } else {
        composite = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        composite.addComponent(true, cumulation);
        cumulation = composite;
      }
      composite.addComponent(true, buf);
    }
    try {
      readBackend(ctx);
    } finally {
      if (cumulation != null && !cumulation.isReadable()) {
        cumulation.release();
        cumulation = null;
      } else if (cumulation instanceof CompositeByteBuf c) {
        c.discardReadComponents();
      }
    }
  }

  /**
   * Passes complete messages on, rewritten where needed; streams DataRows through (or drops
   * them) without waiting for their end; holds back only a partial header or a partial message
   * the tap must read (descriptions, tags, status), which are small.
   */
  private void readBackend(ChannelHandlerContext ctx) {
    ByteBuf in = cumulation;
    int passFrom = in.readerIndex();
    int i = passFrom;
    int end = in.writerIndex();
    while (i < end) {
      if (streaming > 0) {
        int n = (int) Math.min(streaming, end - i);
        if (dropping) {
          passFrom = pass(ctx, in, passFrom, i);
          i += n;
          passFrom = i;
          countDropped(ctx, n);
        } else {
          i += n;
        }
        streaming -= n;
        continue;
      }
      if (end - i < 5) {
        break;
      }
      byte type = in.getByte(i);
      int length = in.getInt(i + 1);
      if (type == 'D') {
        onDataRow(length);
        if (dropping) {
          passFrom = pass(ctx, in, passFrom, i);
        }
        streaming = 1L + length;
        continue;
      }
      if (type != 'T' && type != 't' && type != 'C' && type != 'Z' && type != 'S' && type != 'n') {
        streaming = 1L + length; // nothing to read in it: pass it as it comes
        dropping = false;
        continue;
      }
      if (end - i < 1 + length) {
        break; // wait for the rest of a message the tap must read
      }
      onMessage(in, type, i + 5, i + 1 + length);
      i += 1 + length;
    }
    pass(ctx, in, passFrom, i);
    in.readerIndex(i);
  }

  /** Fires the bytes [from, to) on to the codec (a retained slice: the codec releases it). */
  private static int pass(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
    if (to > from) {
      ctx.fireChannelRead(in.retainedSlice(from, to - from));
    }
    return to;
  }

  private void onDataRow(int length) {
    long total = rowBytes + length + 1;
    rowBytes = total;
    if (overflow) {
      dropping = true;
      return;
    }
    if (total > maxRowBytes) {
      overflow = true;
      dropping = true;
      cancel.run(); // PostgreSQL stops at its next interrupt check; the rest is dropped unread
    } else {
      dropping = false;
    }
  }

  /** After the cancel, a backend still sending more than the cap again is cut off. */
  private void countDropped(ChannelHandlerContext ctx, int n) {
    droppedAfterCancel += n;
    if (droppedAfterCancel > Math.max(maxRowBytes, 1 << 20) * 2 && ctx.channel().isActive()) {
      ctx.close();
    }
  }

  private void onMessage(ByteBuf in, byte type, int body, int end) {
    dropping = false;
    switch (type) {
      case 'T' -> {
        Column[] described = rowDescription(in, body);
        String statement = describing.poll();
        if (statement != null) {
          columnsByStatement.put(statement, described);
        }
        columns = described;
      }
      case 'n' -> { // NoData: the described statement returns no rows
        String statement = describing.poll();
        if (statement != null) {
          columnsByStatement.put(statement, NO_COLUMNS);
        }
        columns = NO_COLUMNS;
      }
      case 't' -> {
        int count = in.getUnsignedShort(body);
        int[] oids = new int[count];
        for (int c = 0; c < count; c++) {
          int at = body + 2 + 4 * c;
          oids[c] = in.getInt(at);
          in.setInt(at, UNKNOWN_OID);
        }
        String statement = describing.peek();
        if (statement != null) {
          paramsByStatement.put(statement, oids);
        }
        parameterOids = oids;
      }
      case 'C' -> commandTag = in.toString(body, Math.max(0, end - body - 1), StandardCharsets.UTF_8);
      case 'Z' -> {
        describing.clear(); // an error skips the rest of the describe responses up to here
        transactionStatus = (char) in.getByte(body);
      }
      case 'S' -> {
        String key = cString(in, body);
        String value = cString(in, body + key.length() + 1);
        if (key.equalsIgnoreCase("DateStyle")) {
          dateStyle = value;
        } else if (key.equalsIgnoreCase("IntervalStyle")) {
          intervalStyle = value;
        }
      }
      default -> {
      }
    }
  }

  /** Reads a RowDescription and rewrites its type oids to {@link #VERBATIM_TEXT_OID} in place. */
  private static Column[] rowDescription(ByteBuf in, int body) {
    int count = in.getUnsignedShort(body);
    Column[] described = new Column[count];
    int at = body + 2;
    for (int c = 0; c < count; c++) {
      int nameEnd = in.indexOf(at, in.writerIndex(), (byte) 0);
      String name = in.toString(at, nameEnd - at, StandardCharsets.UTF_8);
      at = nameEnd + 1;
      int tableOid = in.getInt(at);
      int columnNumber = in.getShort(at + 4);
      int typeOid = in.getInt(at + 6);
      in.setInt(at + 6, VERBATIM_TEXT_OID);
      int typeSize = in.getShort(at + 10);
      int typeModifier = in.getInt(at + 12);
      in.setShort(at + 16, 0); // text format
      described[c] = new Column(name, typeOid, tableOid, columnNumber, typeSize, typeModifier);
      at += 18;
    }
    return described;
  }

  private static String cString(ByteBuf buf, int from) {
    int nul = buf.indexOf(from, buf.writerIndex(), (byte) 0);
    return nul < 0 ? "" : buf.toString(from, nul - from, StandardCharsets.UTF_8);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
  }

  /** Closes the connection (the pool then drops it): for a session that cannot be made idle. */
  void closeConnection() {
    ChannelHandlerContext ctx = context;
    if (ctx != null) {
      ctx.channel().close();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
  }
}
