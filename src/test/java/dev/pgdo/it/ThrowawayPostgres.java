package dev.pgdo.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL cluster of the machine's PostgreSQL 15 binaries ({@code /usr/lib/postgresql/15/bin},
 * or {@code PGDO_TEST_PGBIN}) under {@code target/}, with SCRAM password authentication, run as
 * the {@code postgres} OS user when the tests run as root (PostgreSQL refuses root). It can be
 * stopped and started again on the same port, for tests of a database outage; the shared
 * {@link TestDatabase} server is one too, and must never be stopped by a test.
 */
public final class ThrowawayPostgres implements AutoCloseable {

  private static final String PGBIN = System.getenv().getOrDefault("PGDO_TEST_PGBIN", "/usr/lib/postgresql/15/bin");
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final Path dir;
  private final Path data;
  private final int port;
  private final String url;

  private ThrowawayPostgres(Path dir, int port, String password) {
    this.dir = dir;
    this.data = dir.resolve("pg");
    this.port = port;
    this.url = "postgresql://postgres:" + password + "@127.0.0.1:" + port + "/postgres";
  }

  /** True when the machine has the binaries. */
  public static boolean available() {
    return Files.isExecutable(Path.of(PGBIN, "initdb"));
  }

  /** A new cluster in {@code dir}, started, and stopped when the JVM exits. */
  public static ThrowawayPostgres start(Path dir) {
    try {
      Files.createDirectories(dir.resolve("pg"));
      String password = UUID.randomUUID().toString();
      Path pwfile = dir.resolve("pwfile");
      Files.writeString(pwfile, password + "\n");
      if (ROOT) {
        run(List.of("chown", "-R", "postgres", dir.toString()));
      }
      ThrowawayPostgres server = new ThrowawayPostgres(dir, TestNode.freePortBelowEphemeral(), password);
      run(asPostgres(PGBIN + "/initdb", "-D", server.data.toString(), "-U", "postgres", "--pwfile=" + pwfile,
          "--auth=scram-sha-256", "--no-sync"));
      server.startAgain();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return url;
  }

  /** Starts the postmaster (again), on the same port and data. */
  public void startAgain() {
    run(asPostgres(PGBIN + "/pg_ctl", "-D", data.toString(), "-w", "-l", dir.resolve("server.log").toString(),
        "start", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + data
            + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"));
  }

  /** Stops the postmaster, ending every session ({@code -m fast}: sessions get 57P01). */
  public void stop() {
    run(asPostgres(PGBIN + "/pg_ctl", "-D", data.toString(), "-w", "stop", "-m", "fast"));
  }

  /**
   * Freezes the postmaster (SIGSTOP): the kernel still accepts TCP connections into its backlog
   * but nothing answers them, as with a hung server; sessions already open keep working (their
   * backends are other processes).
   */
  public void pause() {
    signal("STOP");
  }

  /** Thaws the postmaster (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      String pid = Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim();
      run(List.of("kill", "-" + name, pid));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    // already stopped is fine: the status check keeps shutdown quiet
    List<String> status = asPostgres(PGBIN + "/pg_ctl", "-D", data.toString(), "status");
    try {
      if (new ProcessBuilder(status).redirectErrorStream(true).start().waitFor() == 0) {
        run(asPostgres(PGBIN + "/pg_ctl", "-D", data.toString(), "-w", "stop", "-m", "immediate"));
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // the JVM is ending; a leftover server dies with the machine's target/ clean-up
    }
  }

  private static List<String> asPostgres(String... command) {
    List<String> full = new ArrayList<>();
    if (ROOT) {
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
