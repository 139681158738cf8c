package dev.pgdo.it;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Throws thousands of random, mostly malformed requests (bodies, headers, paths, methods) at one
 * node with a small body limit, from a fixed seed, and checks API.md's promise for every answer:
 * a documented status, never a 500 or a hang, and a JSON error body with a documented code and a
 * message without a stack trace. Then the node must still be live, ready and answering queries.
 *
 * <p>Run another seed with {@code -Dfuzz.seed=<n>}, more requests with {@code -Dfuzz.requests=<n>}.
 */
@DisplayName("Random malformed requests never crash, hang or 500 the node")
class FuzzTest {

  private static final long SEED = Long.getLong("fuzz.seed", 20240611L);
  private static final int REQUESTS = Integer.getInteger("fuzz.requests", 3200);
  private static final int MIN_REQUESTS = 3000;
  private static final int CONCURRENCY = 16;
  private static final int BODY_LIMIT = 4096;
  private static final long REQUEST_TIMEOUT_MS = 10_000;
  private static final long SEND_BUDGET_MS = 45_000;

  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
  private static final Set<String> OPS_PATHS = Set.of("/health/live", "/health/ready", "/v1/status", "/metrics",
      "/dashboard");
  private static final Pattern QUERY_PATH = Pattern.compile("^/(v1/)?query/([^/]*)$");
  private static final Pattern ADMIN_PATH = Pattern.compile("^/v1/tenants/([^/]*)(/token)?$");
  private static final Map<Integer, Set<String>> CODES = Map.ofEntries(
      Map.entry(400, Set.of("invalid_request", "invalid_tenant", "sql_error")),
      Map.entry(401, Set.of("unauthorized")),
      Map.entry(404, Set.of("not_found", "tenant_not_found")),
      Map.entry(405, Set.of("method_not_allowed")),
      Map.entry(409, Set.of("tenant_exists")),
      Map.entry(413, Set.of("payload_too_large", "result_too_large")),
      Map.entry(415, Set.of("unsupported_media_type")),
      Map.entry(429, Set.of("too_many_requests")),
      Map.entry(503, Set.of("no_compute")),
      Map.entry(504, Set.of("query_timeout")));
  private static final List<String> STACK_MARKERS = List.of("Exception", "\tat ", ".java:");

  private static TestNode node;
  private static String tenant;
  private static String token;
  private static List<String> fuzzTenants;

  private final Random random = new Random(SEED);

  @BeforeAll
  static void start() {
    node = TestNode.start("--limits.maxBodyBytes=" + BODY_LIMIT);
    tenant = node.tenantId("fuzz");
    token = node.createTenant(tenant);
    fuzzTenants = List.of(node.tenantId("fz0"), node.tenantId("fz1"), node.tenantId("fz2"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  // ---------------------------------------------------------------------------------------------
  // The test
  // ---------------------------------------------------------------------------------------------

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  @DisplayName("thousands of random requests: documented statuses, JSON errors, no 500, no hang; still healthy")
  void fuzz() throws Exception {
    System.out.println("[fuzz] seed=" + SEED + " (override with -Dfuzz.seed=<n>), requests=" + REQUESTS);
    List<Req> requests = new ArrayList<>(REQUESTS);
    for (int i = 0; i < REQUESTS; i++) {
      requests.add(generate(i));
    }

    Vertx clientVertx = Vertx.vertx();
    HttpClientAgent client = clientVertx.createHttpClient(
        new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.port)
            .setConnectTimeout((int) REQUEST_TIMEOUT_MS).setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY).setMaxWaitQueueSize(-1));

    Results results = new Results();
    Semaphore inFlight = new Semaphore(CONCURRENCY);
    long started = System.nanoTime();
    long deadline = started + TimeUnit.MILLISECONDS.toNanos(SEND_BUDGET_MS);
    try {
      for (Req request : requests) {
        if (System.nanoTime() > deadline) {
          break;
        }
        inFlight.acquire();
        results.sent.incrementAndGet();
        send(client, request).onComplete(done -> {
          try {
            results.check(request, done.succeeded() ? done.result() : null, done.cause());
          } catch (Throwable t) {
            results.fail(request, null, "checker threw " + t);
          } finally {
            inFlight.release();
          }
        });
      }
      if (!inFlight.tryAcquire(CONCURRENCY, REQUEST_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS)) {
        results.failures.putIfAbsent("requests still in flight after the run",
            new Failure("requests still in flight after the run", "in flight", "-", "-"));
      }
    } finally {
      client.close().await();
      clientVertx.close().await();
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    System.out.println("[fuzz] sent " + results.sent.get() + " requests in " + elapsedMs + " ms, seed=" + SEED);
    System.out.println("[fuzz] status histogram (-1: no answer within " + REQUEST_TIMEOUT_MS
        + " ms, 0: connection closed without an answer): " + new TreeMap<>(results.histogram));
    System.out.println("[fuzz] by generator: " + new TreeMap<>(results.byKind));
    System.out.println("[fuzz] client refused to send (invalid header/uri on the client side): "
        + results.clientRefused.get());

    List<Failure> distinct = mostDiverseFirst(new ArrayList<>(results.failures.values()));
    if (!distinct.isEmpty()) {
      System.out.println("[fuzz] all " + distinct.size() + " distinct failures:" + report(distinct, distinct.size()));
    }

    SoftAssertions softly = new SoftAssertions();
    // The node is still healthy.
    softly.assertThat(node.get("/health/live").statusCode()).as("GET /health/live after fuzzing").isEqualTo(200);
    var ready = node.get("/health/ready");
    softly.assertThat(ready.statusCode()).as("GET /health/ready after fuzzing: " + ready.bodyAsString())
        .isEqualTo(200);
    var query = node.query(tenant, token, new JsonObject().put("sql", "select $1::int4 + 1 as n")
        .put("params", new JsonArray().add(41)));
    softly.assertThat(query.statusCode()).as("a normal query after fuzzing: " + query.bodyAsString()).isEqualTo(200);
    if (query.statusCode() == 200) {
      softly.assertThat(query.bodyAsJsonObject().getJsonArray("rows").getJsonObject(0).getInteger("n"))
          .as("the normal query's result").isEqualTo(42);
    }
    // Every answer kept the contract.
    String report = results.failureCount.get() + " failing responses, " + distinct.size() + " distinct (seed " + SEED
        + "); the first " + Math.min(20, distinct.size()) + ":" + report(distinct, 20);
    softly.assertThat(distinct.size()).as(report).isZero();
    softly.assertThat(results.sent.get()).as("requests sent within the " + SEND_BUDGET_MS + " ms budget")
        .isGreaterThanOrEqualTo(MIN_REQUESTS);
    softly.assertAll();
  }

  private static String report(List<Failure> failures, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(max, failures.size()); i++) {
      Failure f = failures.get(i);
      sb.append("\n#").append(i + 1).append(' ').append(f.root).append(" (x").append(f.count.get()).append(')')
          .append("\n  request:  ").append(f.request)
          .append("\n  response: ").append(f.response).append('\n');
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------------

  /** One generated request. {@code headers} preserves order and duplicates. */
  private record Req(int id, String kind, String method, String uri, List<String[]> headers, byte[] body,
                     boolean chunked) {

    String header(String name) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          return h[1];
        }
      }
      return null;
    }

    String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append('[').append(kind).append(" #").append(id).append("] ").append(method).append(' ')
          .append(abbreviate(redact(uri), 160));
      for (String[] h : headers) {
        sb.append(" | ").append(h[0]).append(": ").append(abbreviate(escape(redact(h[1])), 100));
      }
      if (body == null) {
        sb.append(" | (no body)");
      } else {
        sb.append(" | body ").append(body.length).append(" bytes").append(chunked ? " chunked" : "").append(": ")
            .append(escapeBytes(body, 160));
      }
      return sb.toString();
    }
  }

  private record Outcome(int status, String contentType, String retryAfter, byte[] body) {

    String describe() {
      return status + " Content-Type=" + contentType + (retryAfter == null ? "" : " Retry-After=" + retryAfter)
          + " body=" + escapeBytes(body, 500);
    }
  }

  private static final class ClientRefused extends RuntimeException {
    ClientRefused(Throwable cause) {
      super(cause);
    }
  }

  private static Future<Outcome> send(HttpClientAgent client, Req r) {
    MultiMap headers;
    try {
      headers = HttpHeaders.headers();
      for (String[] h : r.headers) {
        headers.add(h[0], h[1]);
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(new ClientRefused(e));
    }
    RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(node.port)
        .setMethod(HttpMethod.valueOf(r.method)).setURI(r.uri)
        .setConnectTimeout(REQUEST_TIMEOUT_MS).setIdleTimeout(REQUEST_TIMEOUT_MS);
    Future<Outcome> outcome;
    try {
      outcome = client.request(options).compose(request -> {
        request.headers().addAll(headers);
        if (r.chunked && r.body != null) {
          request.setChunked(true);
        }
        Future<HttpClientResponse> response = r.body == null ? request.send() : request.send(Buffer.buffer(r.body));
        return response.compose(resp -> resp.body().map(body -> new Outcome(resp.statusCode(),
            resp.getHeader("Content-Type"), resp.getHeader("Retry-After"), body.getBytes())));
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(new ClientRefused(e));
    }
    return outcome.timeout(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------------------------------------
  // Checking
  // ---------------------------------------------------------------------------------------------

  private static final class Failure {
    final String what;
    final String root;
    final String request;
    final String response;
    final AtomicInteger count = new AtomicInteger(1);

    Failure(String what, String root, String request, String response) {
      this.what = what;
      this.root = root;
      this.request = request;
      this.response = response;
    }
  }

  /** One failure of each kind (problem + error message) first, so the short list shows every kind. */
  private static List<Failure> mostDiverseFirst(List<Failure> failures) {
    List<Failure> first = new ArrayList<>();
    List<Failure> rest = new ArrayList<>();
    Set<String> roots = new java.util.HashSet<>();
    for (Failure f : failures) {
      (roots.add(f.root) ? first : rest).add(f);
    }
    first.addAll(rest);
    return first;
  }

  private static final class Results {
    final AtomicInteger sent = new AtomicInteger();
    final AtomicInteger clientRefused = new AtomicInteger();
    final AtomicLong failureCount = new AtomicLong();
    final Map<Integer, Integer> histogram = new ConcurrentHashMap<>();
    final Map<String, Integer> byKind = new ConcurrentHashMap<>();
    /** Distinct failures by signature, in the order they were first seen. */
    final Map<String, Failure> failures = Collections.synchronizedMap(new LinkedHashMap<>());

    void fail(Req request, Outcome outcome, String what) {
      failureCount.incrementAndGet();
      String root = what + " message=" + errorMessage(outcome)
          + (BAD_PERCENT.matcher(request.uri).find() ? " malformed-%-escape" : "");
      String signature = root + " <- " + request.kind + " " + request.method + " " + routeClass(request.uri);
      synchronized (failures) {
        Failure existing = failures.get(signature);
        if (existing != null) {
          existing.count.incrementAndGet();
        } else {
          failures.put(signature, new Failure(what, root, request.describe(),
              outcome == null ? "(none)" : outcome.describe()));
        }
      }
    }

    void check(Req request, Outcome outcome, Throwable error) {
      byKind.merge(request.kind, 1, Integer::sum);
      if (outcome == null) {
        if (error instanceof ClientRefused) {
          clientRefused.incrementAndGet();
          sent.decrementAndGet();
          return;
        }
        if (error instanceof TimeoutException || (error != null && String.valueOf(error.getMessage())
            .toLowerCase().contains("timeout"))) {
          histogram.merge(-1, 1, Integer::sum);
          fail(request, null, "HANG: no response within " + REQUEST_TIMEOUT_MS + " ms (" + error + ")");
        } else {
          histogram.merge(0, 1, Integer::sum);
          fail(request, null, "no HTTP response: " + error);
        }
        return;
      }
      histogram.merge(outcome.status, 1, Integer::sum);
      List<String> problems = problems(request, outcome);
      if (!problems.isEmpty()) {
        fail(request, outcome, String.join("; ", problems));
      }
    }

    private static List<String> problems(Req request, Outcome outcome) {
      List<String> problems = new ArrayList<>();
      int status = outcome.status;
      boolean head = request.method.equals("HEAD");
      String path = normalize(request.uri);

      if (status < 400) {
        if (!plausibleSuccess(request, path, status)) {
          problems.add("implausible success status " + status + " for " + request.method + " " + path);
        } else if (!head && status == 200 && !path.equals("/metrics") && isJsonPath(path)) {
          try {
            new JsonObject(Buffer.buffer(outcome.body));
          } catch (RuntimeException e) {
            problems.add("200 whose body is not a JSON object");
          }
        }
        return problems;
      }
      Set<String> codes = CODES.get(status);
      boolean readyPath = path.equals("/health/ready") && request.method.equals("GET");
      if (codes == null) {
        problems.add("undocumented status " + status);
      }
      if ((status == 429 || status == 503) && outcome.retryAfter == null) {
        problems.add(status + " without Retry-After");
      }
      if (head) {
        return problems; // a HEAD answer has no body
      }
      if (outcome.contentType == null || !outcome.contentType.toLowerCase().startsWith("application/json")) {
        problems.add("error with Content-Type " + outcome.contentType);
      }
      JsonObject json;
      try {
        json = new JsonObject(Buffer.buffer(outcome.body));
      } catch (RuntimeException e) {
        problems.add("error body is not a JSON object");
        return problems;
      }
      if (!(json.getValue("error") instanceof JsonObject err)) {
        problems.add("error body without an 'error' object");
        return problems;
      }
      Object code = err.getValue("code");
      Object message = err.getValue("message");
      if (!(code instanceof String c)) {
        problems.add("error without a string error.code");
      } else if (codes != null && !codes.contains(c) && !(readyPath && status == 503 && c.equals("not_ready"))) {
        problems.add("status " + status + " with undocumented code '" + c + "'");
      } else if (c.equals("sql_error") && !(err.getValue("sqlState") instanceof String s && s.length() == 5)) {
        problems.add("sql_error without a 5-character sqlState");
      } else if (codes == null) {
        problems.add("code '" + c + "'");
      }
      if (!(message instanceof String m) || m.isBlank()) {
        problems.add("error without a non-empty error.message");
      } else {
        String sentText = request.body == null ? "" : new String(request.body, StandardCharsets.UTF_8);
        for (String marker : STACK_MARKERS) {
          // PostgreSQL echoes identifiers of the statement: only a marker the client did not send counts.
          if (m.contains(marker) && !sentText.contains(marker) && !request.uri.contains(marker)) {
            problems.add("error.message looks like a stack trace (contains '" + escape(marker) + "')");
          }
        }
      }
      return problems;
    }
  }

  private static final Pattern BAD_PERCENT = Pattern.compile("%(?![0-9A-Fa-f]{2})");

  /** A coarse class of the request target, so that distinct failures stay distinct. */
  private static String routeClass(String uri) {
    String path = normalize(uri);
    String route = QUERY_PATH.matcher(path).matches() ? "query" : ADMIN_PATH.matcher(path).matches() ? "admin"
        : OPS_PATHS.contains(path) ? "ops" : "other";
    return route + (BAD_PERCENT.matcher(uri).find() ? "+malformed-%-escape" : "") + (uri.length() > 4000 ? "+long" : "");
  }

  private static String errorMessage(Outcome outcome) {
    if (outcome == null || outcome.body == null || outcome.body.length == 0) {
      return "";
    }
    try {
      JsonObject error = new JsonObject(Buffer.buffer(outcome.body)).getJsonObject("error");
      return error == null ? "" : String.valueOf(error.getValue("message"));
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static boolean isJsonPath(String path) {
    return QUERY_PATH.matcher(path).matches() || ADMIN_PATH.matcher(path).matches()
        || path.startsWith("/health/") || path.equals("/v1/status");
  }

  /** Whether a 2xx answer can be right for this request (the fuzzer sends few legitimate ones). */
  private static boolean plausibleSuccess(Req r, String path, int status) {
    String auth = r.header("Authorization");
    boolean tenantToken = auth != null && auth.contains(token);
    boolean adminToken = auth != null && auth.contains(TestNode.ADMIN_TOKEN);
    boolean readish = r.method.equals("GET") || r.method.equals("HEAD");
    if (status == 200) {
      if (readish && OPS_PATHS.contains(path)) {
        return true;
      }
      if (r.method.equals("POST") && tenantToken && QUERY_PATH.matcher(path).matches()) {
        return true;
      }
      return adminToken && ADMIN_PATH.matcher(path).matches()
          && (readish || r.method.equals("POST"));
    }
    if (status == 201) {
      return adminToken && r.method.equals("PUT") && ADMIN_PATH.matcher(path).matches();
    }
    if (status == 204) {
      return adminToken && r.method.equals("DELETE") && ADMIN_PATH.matcher(path).matches();
    }
    return false;
  }

  /** The path as a router would see it: no query/fragment, %-decoded, no empty or dot segments. */
  static String normalize(String uri) {
    String path = uri;
    int cut = indexOfAny(path, '?', '#');
    if (cut >= 0) {
      path = path.substring(0, cut);
    }
    path = percentDecode(path);
    List<String> out = new ArrayList<>();
    for (String segment : path.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        continue;
      }
      out.add(segment);
    }
    return "/" + String.join("/", out);
  }

  private static int indexOfAny(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    return i < 0 ? j : (j < 0 ? i : Math.min(i, j));
  }

  private static String percentDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  // ---------------------------------------------------------------------------------------------
  // Generating
  // ---------------------------------------------------------------------------------------------

  private Req generate(int id) {
    int roll = random.nextInt(100);
    if (roll < 40) {
      return bodyFuzz(id);
    }
    if (roll < 55) {
      return trickySql(id);
    }
    if (roll < 93) {
      return chaos(id);
    }
    if (roll < 97) {
      return admin(id);
    }
    return ops(id);
  }

  /** The right path, method, token and Content-Type; a random (mostly broken) body. */
  private Req bodyFuzz(int id) {
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Authorization", random.nextInt(20) == 0 ? authHeader() : "Bearer " + token});
    headers.add(new String[] {"Content-Type", random.nextInt(10) == 0 ? contentType() : "application/json"});
    maybeColoHeaders(headers);
    String[] body = new String[1];
    byte[] bytes = randomBody(body);
    return new Req(id, "body:" + body[0], "POST", queryPath(tenant), headers, bytes, random.nextInt(10) == 0);
  }

  /** Valid requests with tricky SQL and params: 200 or 400 sql_error (or a documented client error). */
  private Req trickySql(int id) {
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Authorization", "Bearer " + token});
    headers.add(new String[] {"Content-Type", pick("application/json", "application/json; charset=utf-8",
        "APPLICATION/JSON", "Application/Json ; charset=UTF-8")});
    maybeColoHeaders(headers);
    JsonObject body = trickyBody();
    return new Req(id, "tricky-sql", "POST", queryPath(tenant),
        headers, body.encode().getBytes(StandardCharsets.UTF_8), random.nextInt(10) == 0);
  }

  /** Everything random: method, path, headers, body. The admin token only rides on safe methods. */
  private Req chaos(int id) {
    String method = pick(METHODS);
    List<String[]> headers = new ArrayList<>();
    if (random.nextInt(5) != 0) {
      String auth = authHeader();
      if (auth.contains(TestNode.ADMIN_TOKEN) && !Set.of("GET", "HEAD", "OPTIONS").contains(method)) {
        auth = "Bearer " + randomToken();
      }
      headers.add(new String[] {"Authorization", auth});
    }
    if (random.nextInt(4) != 0) {
      headers.add(new String[] {"Content-Type", contentType()});
      if (random.nextInt(15) == 0) {
        headers.add(new String[] {"Content-Type", contentType()});
      }
    }
    maybeColoHeaders(headers);
    if (random.nextInt(6) == 0) {
      headers.add(pick(List.of(
          new String[] {"Accept", pick("text/html", "*/*", "application/xml", "garbage/;;", "")},
          new String[] {"Accept-Encoding", pick("gzip", "deflate, br", "identity;q=0", "x")},
          new String[] {"Connection", pick("close", "keep-alive", "upgrade")},
          new String[] {"Origin", pick("https://evil.example", "null", "")},
          new String[] {"X-Forwarded-For", pick("1.2.3.4", "::1", "garbage", "")},
          new String[] {"Cookie", "a=" + randomPrintable(40)},
          new String[] {"X-" + randomAlnum(8), randomPrintable(60)},
          new String[] {"Authorization", "Bearer " + randomToken()})));
    }
    if (random.nextInt(40) == 0) {
      headers.add(new String[] {"X-Big", "y".repeat(9_000 + random.nextInt(8_000))});
    }
    byte[] body = null;
    String bodyKind = "none";
    if (!method.equals("HEAD") && random.nextBoolean()) {
      String[] kind = new String[1];
      body = randomBody(kind);
      bodyKind = kind[0];
    }
    return new Req(id, "chaos:" + bodyKind, method, randomPath(), headers, body,
        body != null && random.nextInt(8) == 0);
  }

  /** Admin calls on a small set of throwaway tenants (and safe ones on the fuzz tenant). */
  private Req admin(int id) {
    String target = random.nextInt(6) == 0 ? tenant : pick(fuzzTenants);
    String method;
    String path;
    int roll = random.nextInt(10);
    if (target.equals(tenant)) {
      method = roll < 5 ? "GET" : "PUT";
      path = "/v1/tenants/" + target;
    } else if (roll < 3) {
      method = "PUT";
      path = "/v1/tenants/" + target;
    } else if (roll < 5) {
      method = "DELETE";
      path = "/v1/tenants/" + target;
    } else if (roll < 7) {
      method = "GET";
      path = "/v1/tenants/" + target;
    } else if (roll < 8) {
      method = "POST";
      path = "/v1/tenants/" + target + "/token";
    } else {
      method = pick("GET", "PUT", "DELETE", "PATCH");
      path = "/v1/tenants/" + pick("Bad_Id", "..", "%2e%2e", "x".repeat(64), "-x", "%00", "a%2Fb", randomAlnum(10));
    }
    List<String[]> headers = new ArrayList<>();
    headers.add(new String[] {"Authorization", pick("Bearer ", "bearer ", "Bearer   ") + TestNode.ADMIN_TOKEN});
    byte[] body = null;
    if (random.nextInt(4) == 0) {
      headers.add(new String[] {"Content-Type", contentType()});
      String[] kind = new String[1];
      body = randomBody(kind);
    }
    return new Req(id, "admin", method, path, headers, body, false);
  }

  /** Health, status and metrics with random headers. */
  private Req ops(int id) {
    List<String[]> headers = new ArrayList<>();
    if (random.nextBoolean()) {
      headers.add(new String[] {"Authorization", authHeader()});
    }
    maybeColoHeaders(headers);
    String path = pick("/health/live", "/health/ready", "/v1/status", "/metrics", "/health/live?x=1",
        "/health/ready/", "/health", "/health/", "/dashboard");
    return new Req(id, "ops", pick("GET", "GET", "GET", "HEAD", "POST", "OPTIONS"), path, headers, null, false);
  }

  // --- paths ---

  private String queryPath(String t) {
    return (random.nextInt(5) == 0 ? "/query/" : "/v1/query/") + t
        + (random.nextInt(8) == 0 ? "?colo=" + pick("ord", "ORD", "1", "", "%zz", "toolong", "%00") : "");
  }

  private String randomPath() {
    String base = switch (random.nextInt(14)) {
      case 0, 1, 2 -> "/v1/query/" + tenantSegment();
      case 3 -> "/query/" + tenantSegment();
      case 4 -> "/v1/tenants/" + tenantSegment() + (random.nextBoolean() ? "" : "/token");
      case 5 -> pick("/v1/status", "/health/ready", "/health/live", "/metrics", "/dashboard", "/health");
      case 6 -> pick("/", "", "/v1", "/v1/", "/v1/query", "/v1/query/", "/query", "/query/", "/v1/tenants",
          "/v1/tenants/", "/v2/query/x", "/favicon.ico", "/.env", "/admin", "/../../etc/passwd",
          "/%2e%2e/%2e%2e/etc/passwd", "/v1/query/" + tenant + "/extra", "/v1/tenants/" + tenant + "/token/x",
          "/*", "/v1/query/*", "/%", "/%%", "/%zz", "/%00", "/%C3%28", "/%ff", "/" + randomAlnum(30));
      case 7 -> pick("//v1//query//" + tenant, "/v1/query//" + tenant, "///health///live", "//v1/status",
          "/v1//tenants//" + tenant, "//query/" + tenant);
      case 8 -> pick("/V1/QUERY/" + tenant, "/Health/Live", "/v1/Status", "/V1/query/" + tenant,
          "/HEALTH/READY", "/Query/" + tenant);
      case 9 -> pick("/v1/query/../status", "/v1/tenants/x/../../query/" + tenant, "/./v1/./query/./" + tenant,
          "/v1/query/" + tenant + "/..", "/health/live/.", "/v1/query/%2e%2e/status", "/health/x/../live",
          "/v1/query/./" + tenant);
      case 10 -> pick("/v1/%71uery/" + tenant, "/%76%31/query/" + tenant, "/v1/query%2F" + tenant,
          "/v1/query/" + percentEncodeSome(tenant), "/health%2Flive", "/%68ealth/live");
      case 11 -> "/" + randomPathChars(1 + random.nextInt(80));
      case 12 -> "/v1/query/" + "a".repeat(200 + random.nextInt(400));
      default -> random.nextInt(10) == 0 ? "/v1/query/" + "a".repeat(5_000 + random.nextInt(5_000))
          : "/v1/query/" + tenantSegment() + "?" + randomPathChars(random.nextInt(200));
    };
    String suffix = switch (random.nextInt(12)) {
      case 0 -> "/";
      case 1 -> "?colo=" + pick("ORD", "ord", "", "OR", "ORDX", "123", "%zz", "%00", "%C3%A9");
      case 2 -> "?" + pick("a=b&&&=", "=", "&", "colo", "colo=ORD&colo=LHR", "%", "a=%zz");
      case 3 -> "#frag";
      case 4 -> ";jsessionid=1";
      default -> "";
    };
    String uri = base + suffix;
    return uri.startsWith("/") ? uri : "/" + uri;
  }

  private String tenantSegment() {
    return switch (random.nextInt(24)) {
      case 0, 1, 2 -> tenant;
      case 3 -> tenant.toUpperCase();
      case 4 -> "Not_Valid";
      case 5 -> "";
      case 6 -> pick(".", "..", "%2e%2e", "%2E", "%2e");
      case 7 -> pick("%00", "a%00b", "%zz", "%", "%%", "%4", "a%");
      case 8 -> pick("%C3%28", "%E2%98%83", "%F0%9F%98%80", "%ff%fe", "%C0%AF", "%ED%A0%80");
      case 9 -> "a".repeat(200);
      case 10 -> "a".repeat(63);
      case 11 -> "a".repeat(64);
      case 12 -> pick("-x", "_x", "x-", "0", "a_b-c");
      case 13 -> "x" + randomAlnum(10).toLowerCase();
      case 14 -> pick("a%2Fb", "a%2fb", "a;b", "a+b", "a%20b", "a%09b", "a%0Ab", "a%0D%0AX-Injected:%201");
      case 15 -> percentEncodeSome(tenant);
      case 16 -> pick(fuzzTenants);
      case 17 -> tenant + pick("%20", "%00", "/", "/.", "%2F");
      case 18 -> "é"; // raw non-ASCII in the request line
      case 19 -> randomPathChars(1 + random.nextInt(40));
      case 20 -> pick("null", "undefined", "true", "[]", "%7B%7D", "*", "$1");
      default -> randomAlnum(1 + random.nextInt(63));
    };
  }

  private String percentEncodeSome(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (random.nextInt(3) == 0) {
        sb.append(String.format("%%%02X", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Characters legal in a request target (no space, no control characters), some of them odd. */
  private String randomPathChars(int n) {
    String alphabet = "abcXYZ019-._~!$&'()*+,;=:@/%?#[]";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  // --- headers ---

  private String contentType() {
    return switch (random.nextInt(22)) {
      case 0 -> "text/plain";
      case 1 -> "application/json";
      case 2 -> "application/json; charset=utf-8";
      case 3 -> "application/json;charset=latin1";
      case 4 -> "APPLICATION/JSON";
      case 5 -> "Application/Json ; charset=UTF-8";
      case 6 -> "application/jsonx";
      case 7 -> "application/json-patch+json";
      case 8 -> "json";
      case 9 -> "";
      case 10 -> "   ";
      case 11 -> "application/*";
      case 12 -> "*/*";
      case 13 -> "multipart/form-data; boundary=x";
      case 14 -> "multipart/form-data";
      case 15 -> "application/x-www-form-urlencoded";
      case 16 -> "application/json; charset=\"";
      case 17 -> ";;;";
      case 18 -> "application/json; charset=utf-16";
      case 19 -> "text/json";
      case 20 -> "multipart/mixed; boundary=\"" + randomAlnum(70) + "\"";
      default -> randomPrintable(random.nextInt(60));
    };
  }

  private String authHeader() {
    return switch (random.nextInt(20)) {
      case 0 -> "Bearer";
      case 1 -> "Bearer ";
      case 2, 3 -> "Bearer " + randomToken();
      case 4 -> "Basic xyz";
      case 5 -> "Basic " + Base64.getEncoder().encodeToString(("user:" + token).getBytes(StandardCharsets.UTF_8));
      case 6 -> "Bearer   " + token + "   ";
      case 7 -> "  Bearer " + token;
      case 8 -> "bearer " + token;
      case 9 -> "BEARER " + token;
      case 10 -> "Bearer\t" + token;
      case 11 -> token;
      case 12 -> "Bearer " + token + "x";
      case 13 -> "Bearer " + token.substring(0, token.length() - 1);
      case 14 -> "Bearer " + token + " extra";
      case 15 -> "Bearer " + token + ", Bearer " + randomToken();
      case 16 -> "Bearer " + TestNode.ADMIN_TOKEN;
      case 17 -> "Bearer " + randomPrintable(random.nextInt(300));
      case 18 -> random.nextInt(5) == 0 ? "Bearer " + "t".repeat(10_000) : "";
      default -> "Bearer " + token;
    };
  }

  private String randomToken() {
    return random.nextBoolean() ? randomAlnum(1 + random.nextInt(100)) : randomPrintable(1 + random.nextInt(100));
  }

  private void maybeColoHeaders(List<String[]> headers) {
    if (random.nextInt(4) == 0) {
      headers.add(new String[] {"X-Colo", pick("ORD", "ord", "", " ", "OR", "ORDX", "123", "L.H", "\tORD\t",
          randomPrintable(random.nextInt(40)), "é", "x".repeat(2000))});
    }
    if (random.nextInt(4) == 0) {
      headers.add(new String[] {"CF-Ray", pick("8f1a2b3c4d5e6f70-ORD", "-", "---", "abc-", "-ORD-", "8f1a-lhr",
          "8f1a-ÖRD", randomPrintable(random.nextInt(80)), "x".repeat(500) + "-ORD")});
    }
  }

  // --- bodies ---

  private byte[] randomBody(String[] kind) {
    int roll = random.nextInt(9);
    return switch (roll) {
      case 0 -> {
        kind[0] = "random-bytes";
        byte[] bytes = new byte[random.nextInt(random.nextInt(10) == 0 ? 8_000 : 3_000)];
        random.nextBytes(bytes);
        yield bytes;
      }
      case 1 -> {
        kind[0] = "truncated-json";
        String json = trickyBody().encode();
        yield utf8(json.substring(0, random.nextInt(Math.max(1, json.length()))));
      }
      case 2 -> {
        kind[0] = "deep-nesting";
        yield utf8(deepNesting());
      }
      case 3 -> {
        kind[0] = "huge-numbers";
        yield utf8(hugeNumbers());
      }
      case 4 -> {
        kind[0] = "unicode";
        yield unicodeBody();
      }
      case 5 -> {
        kind[0] = "wrong-types";
        yield utf8(wrongTypes());
      }
      case 6 -> {
        kind[0] = "too-long";
        yield tooLong();
      }
      case 7 -> {
        kind[0] = "misc-json";
        yield utf8(pick("", " ", "\n", "null", "true", "0", "[]", "{}", "\"str\"",
            "{\"sql\":\"select 1\"}garbage", "{\"sql\":\"select 1\"}{\"sql\":\"select 2\"}",
            "{'sql':'select 1'}", "{sql:\"select 1\"}", "/*x*/{\"sql\":\"select 1\"}", "{\"sql\":\"select 1\",}",
            "{\"sql\":\"select 1\",\"sql\":\"select 2\"}", "{\"sql\":\"select 1\"", "{\"sql\"", "{\"", "{",
            "[{\"sql\":\"select 1\"}]", "{\"sql\":\"select 1\",\"unknown\":{\"x\":[1,2,3]}}",
            "{\"sql\":\"select 1\"}\u0000", "\u0000", "{\"sql\":\"select 1\" \"params\":[]}",
            "{\"sql\":\"select $1\",\"params\":[1,]}", "{\"sql\":\"select $1\",\"params\":[,1]}",
            "{\"sql\":\"select 1\"}" + " ".repeat(3000), " ".repeat(4096), "{\"sql\":\"sel\\ect 1\"}",
            "{\"sql\":\"select \\u12\"}", "{\"sql\":\"select 1\\\"}", "{\"sql\":'select 1'}",
            "{\"sql\":\"select 1\",\"transaction\":null}", "{\"sql\":null,\"transaction\":null}",
            "{\"transaction\":[{\"sql\":\"select 1\"}],\"sql\":null}",
            "{\"sql\":\"select 1\",\"params\":null,\"rowMode\":null,\"isolation\":null,\"readOnly\":null}"));
      }
      default -> {
        kind[0] = "form-ish";
        yield utf8(pick("sql=select+1", "--x\r\nContent-Disposition: form-data; name=\"sql\"\r\n\r\nselect 1\r\n--x--\r\n",
            "--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nabc\r\n--x--\r\n",
            "--x\r\nbroken", "--", "a=%zz&b=%", "=&=&=", "sql=" + "x".repeat(3000)));
      }
    };
  }

  private String deepNesting() {
    int depth = pickInt(2, 64, 500, 999, 1000, 1001, 1500, 1990, 2000, 3000, 5000);
    boolean closed = random.nextInt(4) != 0;
    String open;
    String close;
    switch (random.nextInt(3)) {
      case 0 -> {
        open = "[";
        close = "]";
      }
      case 1 -> {
        open = "{\"a\":";
        close = "}";
      }
      default -> {
        open = "[{\"a\":";
        close = "}]";
      }
    }
    String core = open.repeat(depth) + "1" + (closed ? close.repeat(depth) : "");
    return switch (random.nextInt(6)) {
      case 0 -> core;
      case 1 -> "{\"sql\":\"select $1\",\"params\":[" + core + "]}";
      case 2 -> "{\"sql\":" + core + "}";
      case 3 -> "{\"transaction\":" + core + "}";
      case 4 -> "{\"sql\":\"select 1\",\"extra\":" + core + "}";
      default -> "{\"sql\":\"select $1::jsonb\",\"params\":[" + core + "]}";
    };
  }

  private String hugeNumbers() {
    String number = pick("1e999999", "-1e400", "1E-400", "1" + "0".repeat(pickInt(20, 400, 999, 1000, 1001, 2000, 3900)),
        "0." + "0".repeat(1000) + "1", "-0", "NaN", "Infinity", "-Infinity", "0x10", "01", "+1", ".5", "1.", "1e",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "2147483648", "1.7976931348623157e309",
        "4.9e-325", "123456789012345678901234567890.123456789", "1e2147483648", "1e-2147483649");
    return switch (random.nextInt(7)) {
      case 0 -> number;
      case 1 -> "{\"sql\":" + number + "}";
      case 2 -> "{\"sql\":\"select $1\",\"params\":[" + number + "]}";
      case 3 -> "{\"sql\":\"select $1::int4\",\"params\":[" + number + "]}";
      case 4 -> "{\"sql\":\"select $1::numeric\",\"params\":[" + number + "]}";
      case 5 -> "{\"sql\":\"select $1::float8\",\"params\":[[" + number + "," + number + "]]}";
      default -> "{\"sql\":\"select 1\",\"rowMode\":" + number + ",\"readOnly\":" + number + "}";
    };
  }

  private byte[] unicodeBody() {
    byte[][] raw = {
        {0}, {(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF}, {(byte) 0xC0, (byte) 0x80},
        {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
        (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}, {0x1B}, {0x7F},
        utf8("\u202Eevil"), utf8("\uD83D\uDE00"), utf8("\u200B\uFEFF"), utf8("\u00e9\u4e2d")};
    String[] escapes = {"\\u0000", "\\ud800", "\\udfff\\ud800", "\\uFFFF", "\\uFEFF", "\\u202E", "\\ud83d\\ude00",
        "\\x41", "\\u", "\\", "\\uZZZZ", "\\u0000\\u0000", "\\t\\n\\r\\b\\f"};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int mode = random.nextInt(9);
    switch (mode) {
      case 0, 1 -> { // raw bytes inside the SQL string
        out.writeBytes(utf8("{\"sql\":\"select '"));
        out.writeBytes(raw[random.nextInt(raw.length)]);
        out.writeBytes(utf8("'\"}"));
      }
      case 2 -> { // raw bytes inside a param
        out.writeBytes(utf8("{\"sql\":\"select $1::text\",\"params\":[\"a"));
        out.writeBytes(raw[random.nextInt(raw.length)]);
        out.writeBytes(utf8("b\"]}"));
      }
      case 3 -> out.writeBytes(utf8("{\"sql\":\"select '" + pick(escapes) + "'\"}"));
      case 4 -> out.writeBytes(utf8("{\"sql\":\"select $1\",\"params\":[\"" + pick(escapes) + "\"]}"));
      case 5 -> { // a NUL or odd byte in a key, or outside strings
        out.writeBytes(utf8("{\"s"));
        out.writeBytes(raw[random.nextInt(raw.length)]);
        out.writeBytes(utf8("ql\":\"select 1\"}"));
      }
      case 6 -> { // BOM prefixes and other encodings of a valid body
        String json = "{\"sql\":\"select 1\"}";
        switch (random.nextInt(4)) {
          case 0 -> {
            out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            out.writeBytes(utf8(json));
          }
          case 1 -> out.writeBytes(json.getBytes(StandardCharsets.UTF_16));
          case 2 -> out.writeBytes(json.getBytes(StandardCharsets.UTF_16LE));
          default -> out.writeBytes(json.getBytes(Charset.forName("UTF-32")));
        }
      }
      case 7 -> out.writeBytes(utf8("{\"sql\":\"select 1 as \\\"" + pick(escapes) + "\\\"\"}"));
      default -> out.writeBytes(utf8("{\"sql\":\"select $1::jsonb\",\"params\":[{\"" + pick(escapes)
          + "\":\"" + pick(escapes) + "\"}]}"));
    }
    return out.toByteArray();
  }

  private String wrongTypes() {
    String any = pick("1", "-1", "1.5", "true", "false", "null", "\"\"", "\" \"", "\"x\"", "[]", "{}", "[1]",
        "[null]", "[[]]", "{\"a\":1}", "[{}]", "\"select 1\"", "[\"select 1\"]", "{\"sql\":\"select 1\"}");
    return switch (random.nextInt(12)) {
      case 0 -> "{\"sql\":" + any + "}";
      case 1 -> "{\"sql\":\"select $1\",\"params\":" + any + "}";
      case 2 -> "{\"transaction\":" + any + "}";
      case 3 -> "{\"transaction\":[" + any + "]}";
      case 4 -> "{\"transaction\":[{\"sql\":" + any + "}]}";
      case 5 -> "{\"transaction\":[{\"sql\":\"select $1\",\"params\":" + any + "}]}";
      case 6 -> "{\"sql\":\"select 1\",\"rowMode\":" + any + "}";
      case 7 -> "{\"sql\":\"select 1\",\"isolation\":" + pick(any, "\"SERIALIZABLE\"", "\"read uncommitted\"",
          "\"read_committed\"", "\"  repeatable   read \"", "\"serializable; drop table x\"") + "}";
      case 8 -> "{\"sql\":\"select 1\",\"readOnly\":" + pick(any, "\"true\"", "1", "0") + "}";
      case 9 -> "{\"transaction\":[{\"sql\":\"select 1\"}],\"rowMode\":" + any + ",\"isolation\":" + any
          + ",\"readOnly\":" + any + "}";
      case 10 -> "{\"transaction\":[{\"sql\":\"select 1\",\"rowMode\":" + any + "}]}";
      default -> any;
    };
  }

  private byte[] tooLong() {
    int size = pickInt(4000, 4090, 4096, 4097, 4200, 10_000, 65_536, 300_000);
    if (random.nextInt(60) == 0) {
      size = 2_000_000;
    }
    String prefix = "{\"sql\":\"select '";
    String suffix = "'\"}";
    int fill = Math.max(0, size - prefix.length() - suffix.length());
    char c = pick('x', 'é', '"', '\\');
    String filler = switch (c) {
      case 'é' -> "é".repeat(fill / 2);
      case '"' -> "\\\"".repeat(fill / 2);
      case '\\' -> "\\\\".repeat(fill / 2);
      default -> "x".repeat(fill);
    };
    return utf8(random.nextInt(5) == 0 ? "x".repeat(size) : prefix + filler + suffix);
  }

  /**
   * Valid-but-tricky statements: odd types, errors PostgreSQL reports, protocol oddities (COPY,
   * LISTEN, transaction control), privileged calls. Nothing slow.
   */
  private static final List<String> STATEMENTS = List.of(
      "select repeat('x', 100)", "select repeat('x', 3000) as big", "select repeat('é', 50)",
      "select string_agg(g::text, ',') from generate_series(1, 100) g", "select g from generate_series(1, 50) g",
      "selec 1", "select * from nope", "select 1/0", "select 'a'::int", "select 1; select 2",
      "select nope from generate_series(1, 2)", "select (", "select $3", "insert", "select '\u0000'",
      "select 'a\u0000b' as t", "commit", "rollback", "begin", "savepoint x", "release savepoint x",
      "select 1e308::float8 * 10", "select 2147483647::int4 + 1", "select '9999999999'::int4",
      "select * from pg_authid", "copy (select 1) to stdout", "copy (values (1), (2)) to stdout",
      "copy nope from stdin", "copy fuzz_t to stdout", "copy fuzz_t from stdin",
      "copy fuzz_t (id) from stdin with (format csv)", "copy fuzz_t from '/etc/passwd'", "listen x", "notify x",
      "unlisten *", "select pg_terminate_backend(pg_backend_pid())", "set role postgres",
      "select current_setting('nope')", "drop database postgres", "create extension nope",
      "select lo_import('/etc/passwd')", "select pg_read_file('/etc/passwd')", "do $$ begin end $$",
      "do $$ begin raise notice 'hi'; end $$", "do $$ begin raise exception 'boom' using hint = 'h'; end $$",
      "select 'x'::regclass", "fetch all from nope", "prepare p as select 1", "execute p", "deallocate all",
      "discard all", "reset all", "select * from generate_series(1, 1) as t(", "select 1 as \"\"",
      "select E'\\xff'", "select 1", "select null", "select 'NaN'::float8", "select 'Infinity'::float8",
      "select '-infinity'::timestamp", "select 'infinity'::date", "select 9223372036854775807::int8",
      "select 1.5::numeric(1000, 500)", "select 'NaN'::numeric", "select '\\x00ff'::bytea",
      "select array[1, null]", "select array[[1,2],[3,4]]", "select row(1, 'a')", "select '(1,2)'::point",
      "select interval '1 day 2 hours'", "select '1.2.3.4'::inet", "select '08:00:2b:01:02:03'::macaddr",
      "select '12.5'::money", "select B'101'", "select '{\"a\": [1, null]}'::json", "select ''::tsvector",
      "select '12:00+02'::timetz", "select 'x'::\"char\"", "select 1::oid", "select 'abc'::name",
      "select gen_random_uuid()", "select int4range(1, 10)", "select array['2020-01-01'::date]",
      "select '{}'::int[]", "values (1, 'a'), (2, 'b')", "with x as (select 1 as a) select * from x",
      "select now(), current_date", "show server_version", "select pg_backend_pid()", "select 1 as a, 2 as a",
      "select", "select '12:34:56'::time", "select 'a' collate \"C\"", "select txid_current()",
      "select '<a/>'::xml", "select array[row(1)]", "select '[1,2)'::int8range", "select e'\\t\\n'",
      "select array[]::text[]", "select ARRAY[1.5, 'NaN']::float8[]", "select array[true, null]::bool[]",
      "select to_json(row(1, 'x'))", "select '{1,2}'::int2vector", "select 'x'::bytea",
      "select '00000000-0000-0000-0000-000000000000'::uuid", "select 'epoch'::timestamptz",
      "select '294276-12-31 23:59:59'::timestamp", "select '4713-01-01 BC'::date", "select 'a'::regtype",
      "select pg_typeof(1)", "select '1 2'::tsquery", "select '(1,2),(3,4)'::box", "select current_user",
      "select * from pg_stat_activity limit 1", "create temp table if not exists tmp_fuzz (x int)",
      "create table if not exists fuzz_t (id int, v text)", "select count(*) from fuzz_t",
      "explain select 1", "explain (format json) select 1", "table fuzz_t limit 2",
      "select 1 from fuzz_t for update", "lock table fuzz_t in access share mode", "checkpoint",
      "alter system set work_mem = '1MB'", "create role fuzz_role", "grant all on fuzz_t to public",
      "select set_config('statement_timeout', '0', true)", "select lpad('', 200, 'é')");
  private List<String> statementOrder;
  private int statementIndex;

  private String nextStatement() {
    if (statementOrder == null) {
      statementOrder = new ArrayList<>(STATEMENTS);
      Collections.shuffle(statementOrder, random);
    }
    return statementOrder.get(statementIndex++ % statementOrder.size());
  }

  /** Valid JSON requests: tricky SQL and params of every JSON type; nothing slow. */
  private JsonObject trickyBody() {
    Object[] paramValues = {null, true, false, 0, -1, 2147483647, 2147483648L, 9007199254740993L, 1.5, -0.0,
        1e308, 4.9e-324, "", "str", "12", "9007199254740993", "\u0000", "\ud800", "é\u4e2d\uD83D\uDE00",
        "NaN", "Infinity", "2020-01-01", "x".repeat(500)};
    int roll = random.nextInt(18);
    switch (roll) {
      case 0, 1 -> {
        JsonArray params = new JsonArray();
        int n = random.nextInt(3) == 0 ? random.nextInt(3) : 1;
        for (int i = 0; i < n; i++) {
          params.add(randomParam(paramValues));
        }
        return new JsonObject().put("sql", pick("select $1", "select $1 as v", "select $1::text",
            "select $1::int4", "select $1::int8", "select $1::numeric", "select $1::float8", "select $1::bool",
            "select $1::jsonb", "select $1::json", "select $1::text[]", "select $1::int4[]", "select $1::date",
            "select $1::uuid", "select $1::bytea", "select $1, $2", "select $2", "select $1::int4[][]",
            "select $1::timestamptz", "select array_length($1::int4[], 1)", "select $1 is null"))
            .put("params", params);
      }
      case 2, 3, 4, 5, 14, 15, 16, 17 -> {
        // Every statement of STATEMENTS is sent at least once per run (in a seeded order), then again.
        JsonObject body = new JsonObject().put("sql", nextStatement());
        if (random.nextBoolean()) {
          body.put("rowMode", pick("object", "array"));
        }
        return body;
      }
      case 6, 7 -> {
        JsonArray statements = new JsonArray();
        int n = 1 + random.nextInt(random.nextInt(10) == 0 ? 150 : 4);
        for (int i = 0; i < n; i++) {
          JsonObject s = new JsonObject().put("sql", pick("select 1", "select $1::int4",
              "create table if not exists fuzz_t (id int, v text)", "insert into fuzz_t values ($1, $2)",
              "select count(*) from fuzz_t", "delete from fuzz_t where id > 100", "select nope",
              "select * from fuzz_t order by id limit 3", "update fuzz_t set v = $2 where id = $1",
              "copy fuzz_t from stdin", "copy (select 1) to stdout", "savepoint s", "rollback to savepoint s",
              "commit", "rollback", "begin"));
          if (s.getString("sql").contains("$")) {
            JsonArray params = new JsonArray().add(randomParam(paramValues));
            if (s.getString("sql").contains("$2")) {
              params.add(randomParam(paramValues));
            }
            s.put("params", params);
          }
          if (random.nextInt(4) == 0) {
            s.put("rowMode", pick("object", "array"));
          }
          statements.add(s);
        }
        JsonObject body = new JsonObject().put("transaction", statements);
        if (random.nextBoolean()) {
          body.put("isolation", pick("read committed", "repeatable read", "serializable", "Serializable",
              "REPEATABLE_READ"));
        }
        if (random.nextBoolean()) {
          body.put("readOnly", random.nextBoolean());
        }
        if (random.nextInt(4) == 0) {
          body.put("rowMode", pick("object", "array"));
        }
        return body;
      }
      case 8 -> {
        return new JsonObject().put("sql", pick("insert into fuzz_t values ($1, $2)",
                "select * from fuzz_t where id = $1", "select * from fuzz_t where v = $2 and id = $1"))
            .put("params", new JsonArray().add(randomParam(paramValues)).add(randomParam(paramValues)));
      }
      case 9 -> {
        return new JsonObject().put("sql", "select $1").put("isolation", pick("serializable", "repeatable read"))
            .put("readOnly", random.nextBoolean()).put("params", new JsonArray().add(randomParam(paramValues)));
      }
      case 10 -> {
        JsonArray params = new JsonArray();
        int n = random.nextInt(10) == 0 ? 70_000 : random.nextInt(300);
        if (n > 1000) {
          // too many parameters for the protocol, but the body must stay small: many short ones
          n = 1000;
        }
        for (int i = 0; i < n; i++) {
          params.add(i);
        }
        return new JsonObject().put("sql", "select $1::int4").put("params", params);
      }
      case 11 -> {
        StringBuilder sql = new StringBuilder("select ");
        int n = 1 + random.nextInt(400);
        for (int i = 1; i <= n; i++) {
          sql.append(i == 1 ? "" : ", ").append('$').append(i).append("::int4");
        }
        JsonArray params = new JsonArray();
        for (int i = 0; i < n; i++) {
          params.add(i);
        }
        return new JsonObject().put("sql", sql.toString()).put("params", params);
      }
      default -> {
        return new JsonObject().put("sql", "select $1::jsonb").put("params", new JsonArray()
            .add(random.nextBoolean() ? new JsonObject().put("k", randomParam(paramValues))
                .put("nested", new JsonObject().put("a", new JsonArray().add(1).addNull()))
                : new JsonArray().add(new JsonObject().put("a", 1))));
      }
    }
  }

  private Object randomParam(Object[] scalars) {
    int roll = random.nextInt(10);
    if (roll < 6) {
      return scalars[random.nextInt(scalars.length)];
    }
    if (roll < 8) {
      JsonArray array = new JsonArray();
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        array.add(random.nextInt(4) == 0 ? new JsonArray().add(1).add(2) : scalars[random.nextInt(scalars.length)]);
      }
      return array;
    }
    if (roll < 9) {
      return new JsonObject().put("a", scalars[random.nextInt(scalars.length)]).put("b", new JsonArray().add(1));
    }
    return new JsonArray().add(new JsonArray().add(new JsonArray().add("deep")));
  }

  // --- small helpers ---

  @SafeVarargs
  private <T> T pick(T... values) {
    return values[random.nextInt(values.length)];
  }

  private <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private int pickInt(int... values) {
    return values[random.nextInt(values.length)];
  }

  private String randomAlnum(int n) {
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /** Printable ASCII plus tab: what a client can legally put in a header value. */
  private String randomPrintable(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(random.nextInt(30) == 0 ? '\t' : (char) (0x20 + random.nextInt(0x7F - 0x20)));
    }
    return sb.toString();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String redact(String s) {
    return s.replace(TestNode.ADMIN_TOKEN, "<admin-token>").replace(token, "<tenant-token>");
  }

  /** Head and tail of a long string, with its length. */
  private static String abbreviate(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int tail = Math.min(40, max / 3);
    return s.substring(0, max - tail) + "...(" + s.length() + " chars)..." + s.substring(s.length() - tail);
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c >= 0x20 && c < 0x7F) {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    return sb.toString();
  }

  private static String escapeBytes(byte[] bytes, int max) {
    StringBuilder sb = new StringBuilder();
    int n = Math.min(bytes.length, max);
    for (int i = 0; i < n; i++) {
      int b = bytes[i] & 0xFF;
      if (b >= 0x20 && b < 0x7F) {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    if (bytes.length > max) {
      sb.append("...(").append(bytes.length).append(" bytes)");
    }
    return redact(sb.toString());
  }
}
