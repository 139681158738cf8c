package dev.pgdo.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP edge over raw sockets: header deadline, idle timeout, ambiguous framing, no HTTP/2
 * cleartext. The node runs with small timeouts so the test is quick; the socket read timeout
 * (10 s) only bounds a test that would otherwise hang.
 */
@DisplayName("HTTP edge: slow headers, idle connections and ambiguous framing are closed")
class HttpEdgeTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start("--http.headerTimeoutMs=500", "--http.idleTimeoutMs=1500",
        "--limits.statementTimeoutMs=1000");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static Socket connect(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** One HTTP/1.1 response: status, lower-cased header block, body. */
  record Response(int status, String headers, String body) {
  }

  static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
    }
    String headers = head.toString(StandardCharsets.ISO_8859_1);
    int status = Integer.parseInt(headers.substring(9, 12));
    String lower = headers.toLowerCase(Locale.ROOT);
    int length = 0;
    int at = lower.indexOf("content-length:");
    if (at >= 0) {
      length = Integer.parseInt(lower.substring(at + 15, lower.indexOf("\r\n", at)).trim());
    }
    byte[] body = in.readNBytes(length);
    return new Response(status, lower, new String(body, StandardCharsets.UTF_8));
  }

  /** True when the server closed the connection (EOF or reset) before the socket timeout. */
  static boolean closedByServer(InputStream in) throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  /** What the server sends until it closes: "EOF" when nothing, else the bytes and how it ended. */
  static String rest(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    String end;
    try {
      int b;
      while ((b = in.read()) >= 0) {
        bytes.write(b);
      }
      end = "EOF";
    } catch (SocketTimeoutException stillOpen) {
      end = "still open";
    } catch (SocketException reset) {
      end = "EOF";
    }
    return bytes.size() == 0 ? end : bytes.toString(StandardCharsets.ISO_8859_1) + " / " + end;
  }

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  @DisplayName("keep-alive works: two requests on one connection")
  void keepAlive() throws IOException {
    try (Socket socket = connect(node.port)) {
      for (int i = 0; i < 2; i++) {
        socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(read(socket.getInputStream()).status()).isEqualTo(200);
      }
    }
  }

  @Test
  @DisplayName("a connection that never sends a byte is closed")
  void silentConnection() throws IOException {
    try (Socket socket = connect(node.port)) {
      assertThat(closedByServer(socket.getInputStream())).isTrue();
    }
  }

  @Test
  @DisplayName("headers sent one byte at a time are cut off before they are complete")
  void slowHeaders() throws Exception {
    byte[] request = ascii("GET /health/live HTTP/1.1\r\nHost: a\r\nX-Slow: " + "x".repeat(60) + "\r\n\r\n");
    try (Socket socket = connect(node.port)) {
      boolean cut = false;
      for (byte b : request) {
        try {
          socket.getOutputStream().write(b);
          socket.getOutputStream().flush();
        } catch (SocketException closed) {
          cut = true;
          break;
        }
        if (socket.getInputStream().available() > 0) {
          break;
        }
        Thread.sleep(100); // 60+ bytes at 100 ms: several times the 500 ms header deadline
      }
      assertThat(cut || closedByServer(socket.getInputStream()))
          .as("closed before the headers were complete").isTrue();
    }
  }

  @Test
  @DisplayName("the second request of a keep-alive connection, sent slowly, is cut off too")
  void slowSecondRequest() throws Exception {
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
      assertThat(read(socket.getInputStream()).status()).isEqualTo(200);
      boolean cut = false;
      for (byte b : ascii("GET /health/live HTTP/1.1\r\nHost: a\r\nX-Slow: " + "x".repeat(60) + "\r\n\r\n")) {
        try {
          socket.getOutputStream().write(b);
          socket.getOutputStream().flush();
        } catch (SocketException closed) {
          cut = true;
          break;
        }
        Thread.sleep(100);
      }
      assertThat(cut || closedByServer(socket.getInputStream())).isTrue();
    }
  }

  @Test
  @DisplayName("an idle keep-alive connection is closed after its answer")
  void idleKeepAlive() throws IOException {
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
      assertThat(read(socket.getInputStream()).status()).isEqualTo(200);
      assertThat(closedByServer(socket.getInputStream())).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "Content-Length: 5\r\nTransfer-Encoding: chunked",
      "Transfer-Encoding: chunked\r\nContent-Length: 0",
      "Transfer-Encoding: gzip, chunked",
      "Transfer-Encoding: chunked, gzip",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
      "Transfer-Encoding: identity",
      "Transfer-Encoding: xchunked",
      "Transfer-Encoding : chunked",
      "Content-Length: 5\r\nContent-Length: 6"})
  @DisplayName("ambiguous framing: one 400, then the connection is closed and the smuggled request never runs")
  void smuggling(String framing) throws IOException {
    String smuggled = "GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n";
    String request = "POST /v1/query/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" + framing
        + "\r\n\r\n0\r\n\r\n" + smuggled;
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii(request));
      Response response = read(socket.getInputStream());
      assertThat(response).isNotNull();
      assertThat(response.status()).isEqualTo(400);
      assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("invalid_request");
      assertThat(rest(socket.getInputStream())).as("no second answer: the connection is closed").isEqualTo("EOF");
    }
  }

  @Test
  @DisplayName("a single chunked body is accepted")
  void chunkedBody() throws IOException {
    String json = "{\"sql\":\"select 1\"}";
    String request = "POST /v1/query/nosuch-tenant HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        + "Authorization: Bearer x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(json.length()) + "\r\n" + json + "\r\n0\r\n\r\n";
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii(request));
      assertThat(read(socket.getInputStream()).status()).as("unknown tenant, but framing accepted").isEqualTo(401);
    }
  }

  @Test
  @DisplayName("HTTP/2 cleartext is off: a prior-knowledge preface and an h2c upgrade get HTTP/1.x answers")
  void noH2c() throws IOException {
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      // an HTTP/2 server would answer with a binary SETTINGS frame; this is an HTTP/1.x text answer
      byte[] start = socket.getInputStream().readNBytes(5);
      assertThat(new String(start, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/");
    }
    try (Socket socket = connect(node.port)) {
      socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"));
      Response response = read(socket.getInputStream());
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.headers()).doesNotContain("upgrade: h2c");
    }
  }

  @Test
  @DisplayName("over the connection cap: 503 no_compute with Retry-After, then close; below it again, 200")
  void connectionCap() throws IOException {
    try (TestNode capped = TestNode.start("--http.maxConnections=4")) {
      List<Socket> held = new ArrayList<>();
      try {
        Response refused = null;
        int served = 0;
        for (int i = 0; i < 10 && refused == null; i++) {
          Socket socket = connect(capped.port);
          held.add(socket);
          socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
          Response response = read(socket.getInputStream());
          if (response.status() == 200) {
            served++;
          } else {
            refused = response;
            assertThat(closedByServer(socket.getInputStream())).isTrue();
          }
        }
        assertThat(served).isBetween(1, 4);
        assertThat(refused).isNotNull();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.headers()).contains("retry-after:");
        assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code")).isEqualTo("no_compute");
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
      boolean servedAgain = false;
      for (int attempt = 0; attempt < 50 && !servedAgain; attempt++) {
        // the server sees the closes asynchronously
        try (Socket socket = connect(capped.port)) {
          socket.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
          servedAgain = read(socket.getInputStream()).status() == 200;
        }
        if (!servedAgain) {
          sleep(100);
        }
      }
      assertThat(servedAgain).isTrue();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
