import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Creates tenants through the admin API for scripts/bench.sh's Java targets (blocking; never on an event loop). */
final class BenchTenants {

  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private final String adminToken;

  BenchTenants(String base, String adminToken) {
    this.base = base;
    this.adminToken = adminToken;
  }

  /** {@code PUT /v1/tenants/{name}}: the new tenant's token. */
  String create(String name) throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/tenants/" + name))
        .header("Authorization", "Bearer " + adminToken).PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() / 100 != 2) {
      throw new IllegalStateException("creating tenant " + name + ": " + answer.statusCode() + " " + answer.body());
    }
    return new JsonObject(answer.body()).getString("token");
  }

  /** Creates {@code prefix-0 .. prefix-(count-1)}, {@code parallel} at a time; their tokens in order. */
  List<String> createAll(String prefix, int count, int parallel) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<Future<String>> pending = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = prefix + "-" + i;
        pending.add(pool.submit(() -> create(name)));
      }
      List<String> tokens = new ArrayList<>();
      for (Future<String> token : pending) {
        tokens.add(token.get());
      }
      return tokens;
    } finally {
      pool.shutdownNow();
    }
  }
}
