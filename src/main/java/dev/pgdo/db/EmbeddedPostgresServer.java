package dev.pgdo.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The node's own PostgreSQL when no {@code database.url} is configured: zonky's packaged binaries
 * (they need nothing installed and run as root), listening on 127.0.0.1 only, with a data
 * directory that survives restarts. Blocking; called from {@code Main} before Vert.x starts and
 * after it stops.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  /** The bootstrap superuser that zonky's initdb creates. */
  public static final String SUPERUSER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** @param port 0 picks a free port */
  public static EmbeddedPostgresServer start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir.getParent() == null ? dataDir : dataDir.getParent());
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir.toFile())
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("max_connections", "300")
          // zonky tunes its servers for throwaway tests (no fsync); this one keeps real data
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on");
      builder.setPort(port > 0 ? port : freeLoopbackPort());
      long started = System.nanoTime();
      EmbeddedPostgres postgres = builder.start();
      log.info("embedded PostgreSQL up on 127.0.0.1:{} (data {}) in {} ms", postgres.getPort(), dataDir,
          (System.nanoTime() - started) / 1_000_000);
      return new EmbeddedPostgresServer(postgres);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dataDir, e);
    }
  }

  /**
   * A free port below the ephemeral range (32768+), where PostgreSQL could collide with the
   * TIME_WAIT sockets of outgoing connections.
   */
  private static int freeLoopbackPort() {
    int start = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
    for (int i = 0; i < 500; i++) {
      int candidate = 20_000 + (start - 20_000 + i) % 12_000;
      try (ServerSocket socket = new ServerSocket(candidate, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        // try the next one
      }
    }
    throw new IllegalStateException("no free port between 20000 and 31999 on 127.0.0.1");
  }

  public int port() {
    return postgres.getPort();
  }

  public String url() {
    return "postgresql://" + SUPERUSER + "@127.0.0.1:" + port() + "/postgres";
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }
}
