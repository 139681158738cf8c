package dev.pgdo.it;

import dev.pgdo.db.EmbeddedPostgresServer;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The real PostgreSQL the tests use: {@code PGDO_TEST_DATABASE_URL} when set, otherwise one
 * throwaway embedded server per test JVM (fresh data directory under {@code target/}, a free
 * loopback port, stopped when the JVM exits).
 */
public final class TestDatabase {

  private static String url;

  private TestDatabase() {
  }

  public static synchronized String url() {
    if (url == null) {
      String external = System.getenv("PGDO_TEST_DATABASE_URL");
      if (external != null && !external.isBlank()) {
        url = external;
      } else {
        Path dataDir = Path.of("target", "test-pg", UUID.randomUUID().toString().substring(0, 8), "pg");
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dataDir, 0);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        url = server.url();
      }
    }
    return url;
  }
}
