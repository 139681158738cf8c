import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Target g of scripts/bench.sh: {@code count} fresh tenants, each created and then queried twice
 * ({@code select 1}) straight away, sequentially. Reports the first and second query, from the
 * client and inside the node ({@code timings.totalMs}), and how many first queries were warm.
 *   java -cp target/postgres-do.jar:classes BenchFreshTenants <base-url> <admin-token> <count> <prefix>
 */
public class BenchFreshTenants {

  public static void main(String[] args) throws Exception {
    String base = args[0];
    BenchTenants tenants = new BenchTenants(base, args[1]);
    int count = Integer.parseInt(args[2]);
    String prefix = args[3];
    HttpClient http = HttpClient.newHttpClient();
    Histogram[] client = {BenchStats.histogram(), BenchStats.histogram()};
    Histogram[] node = {BenchStats.histogram(), BenchStats.histogram()};
    int[] warm = new int[2];
    for (int i = 0; i < count; i++) {
      String name = prefix + "-" + i;
      String token = tenants.create(name);
      HttpRequest query = HttpRequest.newBuilder(URI.create(base + "/v1/query/" + name))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"sql\": \"select 1\"}")).build();
      for (int attempt = 0; attempt < 2; attempt++) {
        long start = System.nanoTime();
        HttpResponse<String> answer = http.send(query, HttpResponse.BodyHandlers.ofString());
        long micros = (System.nanoTime() - start) / 1000;
        if (answer.statusCode() != 200) {
          throw new IllegalStateException(name + ": " + answer.statusCode() + " " + answer.body());
        }
        JsonObject body = new JsonObject(answer.body());
        client[attempt].recordValue(Math.max(1, micros));
        node[attempt].recordValue(Math.max(1, Math.round(body.getJsonObject("timings").getDouble("totalMs") * 1000)));
        if (body.getJsonObject("compute").getBoolean("warm", false)) {
          warm[attempt]++;
        }
      }
    }
    JsonObject row = new JsonObject().put("target", "g").put("label", count + " fresh tenants: first vs second query")
        .put("tenants", count).put("firstWarm", warm[0]).put("secondWarm", warm[1]);
    BenchStats.latency(row, "firstClient", client[0]);
    BenchStats.latency(row, "firstNode", node[0]);
    BenchStats.latency(row, "secondClient", client[1]);
    BenchStats.latency(row, "secondNode", node[1]);
    System.out.println(row.encode());
  }
}
