import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/**
 * Latency of one small query, sequentially: straight to PostgreSQL with the same driver the
 * service uses (the baseline), then through postgres-do over HTTP (JDK client), also reporting
 * the node's own share ({@code timings.totalMs}, HTTP parsing to answer). Run by scripts/bench.sh:
 *   java -cp target/postgres-do.jar scripts/Bench.java <pg-url> <http-base> <tenant> <token> <n>
 */
public class Bench {

  private static final String SQL = "select id, name from users where id = $1";

  public static void main(String[] args) throws Exception {
    String pgUrl = args[0];
    String base = args[1];
    String tenant = args[2];
    String token = args[3];
    int n = Integer.parseInt(args[4]);

    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(pgUrl).setCachePreparedStatements(true)).using(vertx).build();
    double[] direct = new double[n];
    for (int i = -n / 5; i < n; i++) { // the first fifth warms up the JIT and the connection
      long start = System.nanoTime();
      pool.preparedQuery(SQL).execute(Tuple.of(42L)).await();
      if (i >= 0) {
        direct[i] = (System.nanoTime() - start) / 1e6;
      }
    }
    pool.close().await();
    vertx.close().await();

    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/query/" + tenant))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"sql\": \"" + SQL + "\", \"params\": [\"42\"]}")).build();
    double[] viaService = new double[n];
    double[] insideService = new double[n];
    for (int i = -n / 5; i < n; i++) {
      long start = System.nanoTime();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 || !response.body().contains("\"warm\":true") && i >= 0) {
        throw new IllegalStateException("unexpected answer: " + response.statusCode() + " " + response.body());
      }
      if (i >= 0) {
        viaService[i] = (System.nanoTime() - start) / 1e6;
        insideService[i] = new JsonObject(response.body()).getJsonObject("timings").getDouble("totalMs");
      }
    }

    Arrays.sort(direct);
    Arrays.sort(viaService);
    Arrays.sort(insideService);
    System.out.printf("queries: %d sequential, after %d warm-up%n", n, n / 5);
    System.out.printf("direct PostgreSQL (vertx-pg-client): p50 %.3f ms  p95 %.3f ms%n", p(direct, 50), p(direct, 95));
    System.out.printf("through postgres-do (HTTP, warm):    p50 %.3f ms  p95 %.3f ms%n", p(viaService, 50),
        p(viaService, 95));
    System.out.printf("  of which inside the node (timings.totalMs): p50 %.3f ms  p95 %.3f ms%n",
        p(insideService, 50), p(insideService, 95));
    System.out.printf("overhead p50, client to client: +%.3f ms (ratio %.2f); inside the node: +%.3f ms (ratio %.2f)%n",
        p(viaService, 50) - p(direct, 50), p(viaService, 50) / p(direct, 50),
        p(insideService, 50) - p(direct, 50), p(insideService, 50) / p(direct, 50));
  }

  private static double p(double[] sorted, int percentile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
  }
}
