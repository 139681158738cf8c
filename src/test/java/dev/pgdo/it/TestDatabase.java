package dev.pgdo.it;

import dev.pgdo.db.EmbeddedPostgresServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

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

  private static final String PGBIN = System.getenv().getOrDefault("PGDO_TEST_PGBIN", "/usr/lib/postgresql/15/bin");

  private static String url;

  private TestDatabase() {
  }

  public static synchronized String url() {
    if (url == null) {
      String external = System.getenv("PGDO_TEST_DATABASE_URL");
      Path dir = Path.of("target", "test-pg", UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
      if (external != null && !external.isBlank()) {
        url = external;
      } else if (Files.isExecutable(Path.of(PGBIN, "initdb"))) {
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
    try {
      Path data = Files.createDirectories(dir.resolve("pg"));
      String password = UUID.randomUUID().toString();
      Path pwfile = dir.resolve("pwfile");
      Files.writeString(pwfile, password + "\n");
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        run(List.of("chown", "-R", "postgres", dir.toString()));
      }
      int port = TestNode.freePortBelowEphemeral();
      run(asPostgres(root, PGBIN + "/initdb", "-D", data.toString(), "-U", "postgres", "--pwfile=" + pwfile,
          "--auth=scram-sha-256", "--no-sync"));
      run(asPostgres(root, PGBIN + "/pg_ctl", "-D", data.toString(), "-w", "-l", dir.resolve("server.log").toString(),
          "start", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + data
              + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"));
      Runtime.getRuntime().addShutdownHook(new Thread(() ->
          run(asPostgres(root, PGBIN + "/pg_ctl", "-D", data.toString(), "-w", "stop", "-m", "immediate"))));
      return "postgresql://postgres:" + password + "@127.0.0.1:" + port + "/postgres";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> asPostgres(boolean root, String... command) {
    List<String> full = new ArrayList<>();
    if (root) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    return full;
  }

  private static void run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
