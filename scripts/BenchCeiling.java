import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The stack's own ceiling for scripts/bench.sh: the smallest honest Vert.x HTTP server that does
 * what {@code POST /v1/query} does for a point select (read a JSON body {@code {"sql", "params"}},
 * run it as a prepared statement with vertx-pg-client, answer the rows as JSON), without any of
 * postgres-do's routing, auth, limits, metrics or event bus. The gap between this and postgres-do
 * is the cost of our own code.
 *   java -cp target/postgres-do.jar:classes BenchCeiling <port> <pg-url> <instances> <connections per instance>
 */
public class BenchCeiling extends VerticleBase {

  private final int port;
  private final String pgUrl;
  private final int connections;
  private Pool pool;

  BenchCeiling(int port, String pgUrl, int connections) {
    this.port = port;
    this.pgUrl = pgUrl;
    this.connections = connections;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String pgUrl = args[1];
    int instances = Integer.parseInt(args[2]);
    int connections = Integer.parseInt(args[3]);
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new BenchCeiling(port, pgUrl, connections), new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println("ceiling listening on 127.0.0.1:" + port))
        .onFailure(err -> {
          err.printStackTrace();
          System.exit(1);
        });
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(connections))
        .connectingTo(PgConnectOptions.fromUri(pgUrl).setCachePreparedStatements(true))
        .using(vertx)
        .build();
    return vertx.createHttpServer().requestHandler(this::handle).listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest request) {
    request.body()
        .compose(body -> {
          JsonObject query = body.toJsonObject();
          JsonArray params = query.getJsonArray("params", new JsonArray());
          return pool.preparedQuery(query.getString("sql")).execute(Tuple.wrap(params.getList()));
        })
        .onSuccess(rows -> request.response().putHeader("content-type", "application/json").end(toJson(rows).toBuffer()))
        .onFailure(err -> request.response().setStatusCode(400).putHeader("content-type", "application/json")
            .end(new JsonObject().put("error", new JsonObject().put("message", String.valueOf(err.getMessage())))
                .toBuffer()));
  }

  private static JsonObject toJson(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row row : rows) {
      out.add(row.toJson());
    }
    return new JsonObject().put("rowCount", rows.rowCount()).put("rows", out);
  }
}
