import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Row c1 of scripts/bench.sh: one connection, sequential, keep-alive. The point select straight to
 * PostgreSQL with vertx-pg-client (the baseline), then through postgres-do over HTTP (JDK client),
 * with the node's own share ({@code timings.totalMs}). The first fifth of each series is warm-up.
 *   java -cp target/postgres-do.jar:classes BenchSequential <pg-url> <http-base> <tenant> <token> <rows> <n>
 */
public class BenchSequential {

  public static void main(String[] args) throws Exception {
    String pgUrl = args[0];
    String base = args[1];
    String tenant = args[2];
    String token = args[3];
    int rows = Integer.parseInt(args[4]);
    int n = Integer.parseInt(args[5]);

    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(pgUrl).setCachePreparedStatements(true)).using(vertx).build();
    Histogram direct = BenchStats.histogram();
    for (int i = -n / 5; i < n; i++) {
      long start = System.nanoTime();
      pool.preparedQuery(BenchSql.POINT_SELECT).execute(Tuple.of(randomId(rows))).await();
      if (i >= 0) {
        direct.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
      }
    }
    pool.close().await();
    vertx.close().await();

    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Histogram viaService = BenchStats.histogram();
    Histogram insideService = BenchStats.histogram();
    for (int i = -n / 5; i < n; i++) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/query/" + tenant))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"sql\": \"" + BenchSql.POINT_SELECT + "\", \"params\": [" + randomId(rows) + "]}")).build();
      long start = System.nanoTime();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      long micros = (System.nanoTime() - start) / 1000;
      if (response.statusCode() != 200) {
        throw new IllegalStateException("unexpected answer: " + response.statusCode() + " " + response.body());
      }
      if (i >= 0) {
        viaService.recordValue(Math.max(1, micros));
        double nodeMs = new JsonObject(response.body()).getJsonObject("timings").getDouble("totalMs");
        insideService.recordValue(Math.max(1, Math.round(nodeMs * 1000)));
      }
    }
    JsonObject row = new JsonObject().put("target", "c1")
        .put("label", "1 connection, sequential: direct vertx-pg-client vs postgres-do HTTP").put("queries", n);
    BenchStats.latency(row, "direct", direct);
    BenchStats.latency(row, "http", viaService);
    BenchStats.latency(row, "node", insideService);
    row.put("p50Ms", BenchStats.ms(viaService, 50)).put("p99Ms", BenchStats.ms(viaService, 99))
        .put("overheadP50Ms", Math.round((BenchStats.ms(viaService, 50) - BenchStats.ms(direct, 50)) * 1000) / 1000.0);
    System.out.println(row.encode());
  }

  private static int randomId(int rows) {
    return ThreadLocalRandom.current().nextInt(1, rows + 1);
  }
}
