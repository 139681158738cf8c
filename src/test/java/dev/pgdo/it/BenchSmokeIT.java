package dev.pgdo.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scripts/bench.sh --smoke} works: every target of the benchmark runs briefly and lands in
 * the table and in the run's JSON. No figure is judged (speed lives in the full benchmark); only
 * that each target measured something.
 */
@DisplayName("The benchmark harness runs every target (scripts/bench.sh --smoke)")
class BenchSmokeIT {

  private static final List<String> TABLE_ROWS = List.of("a", "b", "p", "c", "d", "e", "c1", "f", "g", "h");

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void smokeRunProducesEveryRow() throws Exception {
    Path log = Files.createDirectories(Path.of("target", "bench-smoke")).resolve("bench.log");
    ProcessBuilder builder = new ProcessBuilder("bash", "scripts/bench.sh", "--smoke")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("PGDO_"));
    Process process = builder.start();
    try {
      boolean exited = process.waitFor(400, TimeUnit.SECONDS);
      String output = Files.readString(log);
      assertThat(exited).as("bench.sh --smoke finished; output so far:\n%s", output).isTrue();
      assertThat(process.exitValue()).as("exit code; output:\n%s", output).isZero();
      for (String row : TABLE_ROWS) {
        assertThat(output).as("table row %s", row).contains("| " + row + ". ");
      }
      assertThat(output).doesNotContain("(missing)");

      Matcher results = Pattern.compile("results: (\\S+)/ and").matcher(output);
      assertThat(results.find()).as("the run names its results directory").isTrue();
      JsonObject rows = new JsonObject(Files.readString(Path.of(results.group(1), "summary.json"))).getJsonObject("rows");
      assertThat(rows.fieldNames()).containsAll(TABLE_ROWS);
      for (String throughput : List.of("a", "b", "p", "c", "d", "e")) {
        assertThat(rows.getJsonObject(throughput).getLong("requests")).as("requests of %s", throughput).isPositive();
      }
      assertThat(rows.getJsonObject("c1").getLong("httpCount")).isPositive();
      assertThat(rows.getJsonObject("f").getJsonArray("runsMs")).isNotEmpty();
      assertThat(rows.getJsonObject("g").getInteger("tenants")).isPositive();
      assertThat(rows.getJsonObject("h").getLong("requests")).isPositive();
      assertThat(rows.getJsonObject("h").getDouble("beladyRate")).isBetween(0.0, 1.0);
    } finally {
      process.destroy(); // SIGTERM: the script's trap stops what it started
      process.waitFor(60, TimeUnit.SECONDS);
    }
  }
}
