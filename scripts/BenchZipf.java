import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Target h of scripts/bench.sh: warm hits when there are more tenants than connections. Creates
 * {@code tenants} tenants, then sends {@code select 1} at constant concurrency for {@code seconds},
 * each request to a tenant drawn from Zipf({@code exponent}) (tenant k with weight 1/k^s), and
 * records the trace (tenant, warm). From the same trace it computes what Belady's perfect-hindsight
 * cache of {@code capacity} tenant connections and an LRU cache would have hit. "Steady" counts
 * from the end of the first fifth of the trace.
 *   java -cp target/postgres-do.jar:classes BenchZipf <base-url> <admin-token> <tenants> <exponent>
 *        <concurrency> <seconds> <capacity> <prefix>
 */
public class BenchZipf {

  private static final int MAX_TRACE = 20_000_000;

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    int tenantCount = Integer.parseInt(args[2]);
    double exponent = Double.parseDouble(args[3]);
    int concurrency = Integer.parseInt(args[4]);
    double seconds = Double.parseDouble(args[5]);
    int capacity = Integer.parseInt(args[6]);
    String prefix = args[7];
    long createStart = System.nanoTime();
    List<String> tokens = new BenchTenants(args[0], args[1]).createAll(prefix, tenantCount, 4);
    double createSeconds = (System.nanoTime() - createStart) / 1e9;
    System.err.println("BENCH-LOAD-START"); // bench.sh --profile starts its recording here

    double[] cumulative = new double[tenantCount];
    double sum = 0;
    for (int k = 0; k < tenantCount; k++) {
      sum += 1 / Math.pow(k + 1, exponent);
      cumulative[k] = sum;
    }
    Random random = new Random(11);
    int[] trace = new int[MAX_TRACE];
    boolean[] warm = new boolean[MAX_TRACE];
    int[] sent = {0};
    Histogram hitNodeMicros = BenchStats.histogram();
    Histogram missNodeMicros = BenchStats.histogram();
    Buffer body = Buffer.buffer("{\"sql\": \"select 1\"}");

    Vertx vertx = Vertx.vertx();
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(concurrency));
    double total = sum;
    BenchLoop.Result result = BenchLoop.run(vertx, concurrency, 0, seconds, () -> {
      int slot = sent[0]++;
      if (slot >= MAX_TRACE) {
        return Future.failedFuture("trace full");
      }
      int pick = Arrays.binarySearch(cumulative, random.nextDouble() * total);
      int tenant = Math.min(tenantCount - 1, pick >= 0 ? pick : -pick - 1);
      trace[slot] = tenant;
      RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(base.getHost())
          .setPort(base.getPort()).setURI("/v1/query/" + prefix + "-" + tenant)
          .putHeader("Authorization", "Bearer " + tokens.get(tenant)).putHeader("Content-Type", "application/json");
      return http.request(request)
          .compose(req -> req.send(body))
          .compose(response -> response.body().map(answer -> {
            if (response.statusCode() != 200) {
              throw new IllegalStateException(response.statusCode() + " " + answer);
            }
            JsonObject json = answer.toJsonObject();
            warm[slot] = json.getJsonObject("compute").getBoolean("warm", false);
            long nodeMicros = Math.max(1, Math.round(json.getJsonObject("timings").getDouble("totalMs") * 1000));
            (warm[slot] ? hitNodeMicros : missNodeMicros).recordValue(nodeMicros);
            return answer;
          }));
    }).await();
    vertx.close().await();

    int n = Math.min(sent[0], MAX_TRACE);
    int[] used = Arrays.copyOf(trace, n);
    int from = n / 5;
    long warmAll = 0;
    long warmSteady = 0;
    for (int i = 0; i < n; i++) {
      if (warm[i]) {
        warmAll++;
        if (i >= from) {
          warmSteady++;
        }
      }
    }
    double steadyCount = n - from;
    JsonObject row = new JsonObject().put("target", "h")
        .put("label", "Zipf(" + exponent + ") over " + tenantCount + " tenants, " + concurrency + " in flight")
        .put("tenants", tenantCount).put("exponent", exponent).put("capacity", capacity)
        .put("createSeconds", Math.round(createSeconds * 10) / 10.0)
        .put("seconds", result.seconds()).put("requests", n).put("errors", result.errors())
        .put("reqPerSec", Math.round(result.requests() / result.seconds()))
        .put("distinctTenants", Arrays.stream(used).distinct().count())
        .put("warmRate", rate(warmAll, n)).put("warmRateSteady", rate(warmSteady, steadyCount))
        .put("beladyRate", rate(BenchBelady.belady(used, capacity, 0), n))
        .put("beladyRateSteady", rate(BenchBelady.belady(used, capacity, from), steadyCount))
        .put("lruRateSteady", rate(BenchBelady.lru(used, capacity, from), steadyCount))
        .put("p50Ms", BenchStats.ms(result.micros(), 50)).put("p99Ms", BenchStats.ms(result.micros(), 99));
    BenchStats.latency(row, "hitNode", hitNodeMicros);
    BenchStats.latency(row, "missNode", missNodeMicros);
    System.out.println(row.encode());
  }

  private static Double rate(double part, double whole) {
    return whole == 0 ? null : Math.round(part / whole * 10_000) / 10_000.0;
  }
}
