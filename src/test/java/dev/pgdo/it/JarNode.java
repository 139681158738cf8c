package dev.pgdo.it;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A node run from the fat jar in its own JVM, as in production: started, probed, stopped or killed. */
final class JarNode {

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  final String region;
  final int httpPort;
  private final List<String> command;
  private final java.util.Map<String, String> env;
  private final Path log;
  private Process process;

  JarNode(String name, String region, int httpPort, int clusterPort, String members, String clusterName,
          java.util.Map<String, String> env, Path dir) {
    this.name = name;
    this.region = region;
    this.httpPort = httpPort;
    this.env = env;
    this.log = dir.resolve(name + ".log");
    this.command = new ArrayList<>(List.of("java", "-jar", "target/postgres-do.jar", "-conf", "conf/" + region + ".json",
        "--node.id=" + name, "--http.port=" + httpPort, "--cluster.port=" + clusterPort,
        "--cluster.members=" + members, "--cluster.name=" + clusterName, "--dataDir=" + dir.resolve(name),
        "--ops.public=true", "--limits.statementTimeoutMs=5000", "--keepWarm.intervalMs=1000",
        "--shutdown.drainMs=8000"));
  }

  String base() {
    return "http://127.0.0.1:" + httpPort;
  }

  void start() {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().keySet().removeIf(key -> key.startsWith("PGDO_"));
      builder.environment().putAll(env);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  void awaitReady(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (!alive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + tail());
      }
      if (status("/health/ready") == 200) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " not ready after " + timeoutMs + " ms:\n" + tail());
  }

  int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(3)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  JsonObject json(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return new JsonObject(response.body());
  }

  /** SIGTERM, then waits for the exit; returns the exit code. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not stop within 60 s of SIGTERM");
    }
    return process.exitValue();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL
    process.waitFor(30, TimeUnit.SECONDS);
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
