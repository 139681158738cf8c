package dev.pgdo.compute;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The tap's framing of backend messages, whatever the buffer boundaries (a Netty embedded channel). */
@DisplayName("The wire tap frames PostgreSQL's messages across any buffer boundary")
class WireTapTest {

  private static byte[] message(char type, ByteBuf body) {
    ByteBuf out = Unpooled.buffer();
    out.writeByte(type).writeInt(body.readableBytes() + 4).writeBytes(body);
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return bytes;
  }

  private static byte[] rowDescription() {
    ByteBuf body = Unpooled.buffer().writeShort(2);
    for (String name : new String[] {"n", "amount"}) {
      body.writeBytes(name.getBytes(StandardCharsets.UTF_8)).writeByte(0)
          .writeInt(16384).writeShort(name.length()).writeInt(name.equals("n") ? 23 : 1700)
          .writeShort(name.equals("n") ? 4 : -1).writeInt(name.equals("n") ? -1 : 655366).writeShort(0);
    }
    return message('T', body);
  }

  private static byte[] dataRow(String a, String b) {
    ByteBuf body = Unpooled.buffer().writeShort(2);
    for (String v : new String[] {a, b}) {
      byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
      body.writeInt(bytes.length).writeBytes(bytes);
    }
    return message('D', body);
  }

  private static byte[] cString(char type, String text) {
    return message(type, Unpooled.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8)).writeByte(0));
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuf all = Unpooled.buffer();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    return bytes;
  }

  private static byte[] readAll(EmbeddedChannel channel) {
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf b = channel.readInbound(); b != null; b = channel.readInbound()) {
      all.writeBytes(b);
      b.release();
    }
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    return bytes;
  }

  @Test
  @DisplayName("split at every byte: the same bytes pass (oids rewritten), descriptions, tag and status recorded")
  void everySplit() {
    byte[] stream = concat(rowDescription(), dataRow("1", "12.50"), dataRow("2", "Infinity"),
        cString('C', "SELECT 2"), message('Z', Unpooled.buffer().writeByte('T')));
    for (int split = 1; split < stream.length; split++) {
      byte[] bytes = stream.clone(); // the tap rewrites in place
      WireTap tap = new WireTap(() -> { });
      EmbeddedChannel channel = new EmbeddedChannel(tap);
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
      byte[] passed = readAll(channel);
      assertThat(passed).as("split at %d", split).hasSize(stream.length);
      ByteBuf check = Unpooled.wrappedBuffer(passed);
      // first column's type oid sits after: type(1) len(4) count(2) "n\0"(2) table(4) attnum(2)
      assertThat(check.getInt(1 + 4 + 2 + 2 + 4 + 2)).isEqualTo(WireTap.VERBATIM_TEXT_OID);
      assertThat(tap.columns()).extracting(WireTap.Column::typeOid).containsExactly(23, 1700);
      assertThat(tap.columns()[1].typeModifier()).isEqualTo(655366);
      assertThat(tap.columns()[0].tableOid()).isEqualTo(16384);
      assertThat(tap.commandTag()).isEqualTo("SELECT 2");
      assertThat(tap.transactionStatus()).isEqualTo('T');
      assertThat(tap.rowBytes()).isGreaterThan(0);
      channel.finishAndReleaseAll();
    }
  }

  @Test
  @DisplayName("DataRows past the cap are dropped unread and the statement is cancelled once")
  void capDropsRows() {
    AtomicInteger cancels = new AtomicInteger();
    WireTap tap = new WireTap(cancels::incrementAndGet);
    tap.limitRowBytes(30);
    EmbeddedChannel channel = new EmbeddedChannel(tap);
    byte[] description = rowDescription();
    byte[] small = dataRow("1", "2");
    byte[] big = dataRow("3", "x".repeat(100));
    byte[] tail = concat(cString('C', "SELECT 3"), message('Z', Unpooled.buffer().writeByte('I')));
    channel.writeInbound(Unpooled.wrappedBuffer(concat(description.clone(), small, big, small, tail)));
    byte[] passed = readAll(channel);
    assertThat(passed).isEqualTo(concat(patched(description), small, tail));
    assertThat(tap.overflow()).isTrue();
    assertThat(cancels.get()).isEqualTo(1);
    channel.finishAndReleaseAll();
  }

  private static byte[] patched(byte[] description) {
    WireTap tap = new WireTap(() -> { });
    EmbeddedChannel channel = new EmbeddedChannel(tap);
    channel.writeInbound(Unpooled.wrappedBuffer(description.clone()));
    byte[] out = readAll(channel);
    channel.finishAndReleaseAll();
    return out;
  }
}
