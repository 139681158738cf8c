import dev.pgdo.Node;
import dev.pgdo.client.PgdoClient;
import dev.pgdo.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Target d of scripts/bench.sh: the event-bus client. Starts a postgres-do node in this JVM (the
 * node arguments follow {@code --}, the environment applies as for the jar), then runs the point
 * select through {@link PgdoClient} at constant concurrency, as a verticle in the same node would.
 *   java -cp target/postgres-do.jar:classes BenchBus <tenant> <rows> <concurrency> <warmup s> <seconds> -- <node args>
 * Prints the row of the table as one line {@code BENCH-JSON {...}} (the node logs to the same stdout).
 */
public class BenchBus {

  public static void main(String[] args) {
    String tenant = args[0];
    int rows = Integer.parseInt(args[1]);
    int concurrency = Integer.parseInt(args[2]);
    double warmup = Double.parseDouble(args[3]);
    double seconds = Double.parseDouble(args[4]);
    String[] nodeArgs = Arrays.copyOfRange(args, 6, args.length);
    Node node = Node.start(ConfigLoader.load(nodeArgs, System.getenv()));
    PgdoClient client = PgdoClient.create(node.vertx());
    client.query(new JsonObject().put("tenant", tenant).put("sql", BenchSql.POINT_SELECT)
        .put("params", new JsonArray().add(1)), null).await(); // one answer before the clock runs
    BenchLoop.Result result = BenchLoop.run(node.vertx(), concurrency, warmup, seconds, () -> client.query(
            new JsonObject().put("tenant", tenant).put("sql", BenchSql.POINT_SELECT)
                .put("params", new JsonArray().add(ThreadLocalRandom.current().nextInt(1, rows + 1))), null))
        .await();
    System.out.println("BENCH-JSON " + BenchStats.throughputRow("d", "postgres-do event-bus client (PgdoClient, in the node's JVM)",
        result.requests(), result.seconds(), result.micros()).put("errors", result.errors()).encode());
    node.stop();
    System.exit(0);
  }
}
