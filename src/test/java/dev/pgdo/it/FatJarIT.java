package dev.pgdo.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the shaded jar as {@code scripts/run.sh} does: embedded PostgreSQL, every region's pool. */
@DisplayName("The fat jar starts with java -jar, reports ready, and stops cleanly on SIGTERM")
class FatJarIT {

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void startsReadyAndStopsOnSigterm() throws Exception {
    int port = TestNode.freePort();
    Path dataDir = Path.of("target", "jar-it", UUID.randomUUID().toString().substring(0, 8));
    Path log = Files.createDirectories(dataDir).resolve("node.log");
    ProcessBuilder builder = new ProcessBuilder("java", "-jar", "target/postgres-do.jar", "-conf", "conf/local.json",
        "--http-port", Integer.toString(port), "--dataDir", dataDir.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("PGDO_"));
    builder.environment().put("PGDO_LOGGING_JSON", "true"); // config from the environment, and JSON logs
    long started = System.nanoTime();
    Process process = builder.start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      int status = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (status != 200 && System.nanoTime() < deadline && process.isAlive()) {
        status = get(http, port, "/health/ready");
        if (status != 200) {
          Thread.sleep(100);
        }
      }
      assertThat(status).as("readiness; node log:\n%s", Files.readString(log)).isEqualTo(200);
      System.out.printf("fat jar: java -jar to ready in %d ms%n", (System.nanoTime() - started) / 1_000_000);
      assertThat(Files.readString(dataDir.resolve("admin-token")).trim()).hasSize(64);

      process.destroy(); // SIGTERM
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("exit code; node log:\n%s", Files.readString(log)).isZero();
      List<String> lines = Files.readAllLines(log).stream().filter(line -> !line.isBlank()).toList();
      assertThat(lines).isNotEmpty().allSatisfy(line ->
          assertThat(new JsonObject(line).getString("formattedMessage")).isNotNull());
    } finally {
      process.destroyForcibly();
    }
  }

  private static int get(HttpClient http, int port, String path) throws InterruptedException {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException notYet) {
      return 0;
    }
  }
}
