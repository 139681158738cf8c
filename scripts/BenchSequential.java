import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Row c1 of scripts/bench.sh: one connection, sequential, keep-alive. The point select straight to
 * PostgreSQL with vertx-pg-client (the baseline), then through postgres-do over HTTP (Vert.x client, the same stack),
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

    // The same client stack on both sides (Vert.x, awaited from this thread), so that the
    // difference is postgres-do's, not the JDK HttpClient's own machinery.
    URI uri = URI.create(base);
    HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
    Histogram viaService = BenchStats.histogram();
    Histogram insideService = BenchStats.histogram();
    String path = "/v1/query/" + tenant;
    for (int i = -n / 5; i < n; i++) {
      String body = "{\"sql\": \"" + BenchSql.POINT_SELECT + "\", \"params\": [" + randomId(rows) + "]}";
      long start = System.nanoTime();
      Buffer answer = http.request(HttpMethod.POST, path)
          .compose(request -> request.putHeader("Authorization", "Bearer " + token)
              .putHeader("Content-Type", "application/json").send(body))
          .compose(response -> response.statusCode() == 200 ? response.body()
              : response.body().compose(b -> Future.failedFuture("unexpected answer: " + response.statusCode() + " " + b)))
          .await();
      long micros = (System.nanoTime() - start) / 1000;
      if (i >= 0) {
        viaService.recordValue(Math.max(1, micros));
        double nodeMs = new JsonObject(answer).getJsonObject("timings").getDouble("totalMs");
        insideService.recordValue(Math.max(1, Math.round(nodeMs * 1000)));
      }
    }
    http.close().await();
    vertx.close().await();
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
