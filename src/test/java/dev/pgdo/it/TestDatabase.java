package dev.pgdo.it;

import dev.pgdo.db.EmbeddedPostgresServer;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The real PostgreSQL the tests use, one per test JVM, stopped when the JVM exits:
 * <ol>
 *   <li>{@code PGDO_TEST_DATABASE_URL} when set (an existing server; the user needs CREATEDB and CREATEROLE);</li>
 *   <li>else the machine's PostgreSQL 15 ({@code /usr/lib/postgresql/15/bin}, or {@code PGDO_TEST_PGBIN}):
 *       a throwaway cluster under {@code target/} with SCRAM password authentication, run as the
 *       {@code postgres} OS user when the tests run as root (PostgreSQL refuses root);</li>
 *   <li>else the embedded server the product itself uses.</li>
 * </ol>
 */
public final class TestDatabase {

  private static String url;

  private TestDatabase() {
  }

  public static synchronized String url() {
    if (url == null) {
      String external = System.getenv("PGDO_TEST_DATABASE_URL");
      Path dir = Path.of("target", "test-pg", UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
      if (external != null && !external.isBlank()) {
        url = external;
      } else if (ThrowawayPostgres.available()) {
        url = startSystemPostgres(dir);
      } else {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dir.resolve("pg"), 0);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        url = server.url();
      }
    }
    return url;
  }

  private static String startSystemPostgres(Path dir) {
    return ThrowawayPostgres.start(dir).url();
  }
}
