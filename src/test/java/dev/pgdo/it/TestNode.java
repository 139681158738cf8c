package dev.pgdo.it;

import dev.pgdo.Node;
import dev.pgdo.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real node in this JVM, against the test PostgreSQL, on a free port, with its own metadata
 * database, plus a blocking HTTP client for the tests. Tenant ids get a per-node suffix so test
 * classes never collide on the shared server.
 */
public final class TestNode implements AutoCloseable {

  public static final String ADMIN_TOKEN = "test-admin-token-" + UUID.randomUUID();

  public final Node node;
  public final int port;
  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final Vertx clientVertx = Vertx.vertx();
  private final WebClient http;
  private Pool superuser;

  private TestNode(Node node, int port) {
    this.node = node;
    this.port = port;
    this.http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  /** @param flags extra {@code --key=value} config flags */
  public static TestNode start(String... flags) {
    int port = freePort();
    List<String> args = new ArrayList<>(List.of(
        "-conf", "conf/local.json",
        "--http.port=" + port,
        "--database.url=" + TestDatabase.url(),
        "--database.metadataDb=pgdo_" + UUID.randomUUID().toString().substring(0, 8),
        "--dataDir=target/test-data/" + UUID.randomUUID().toString().substring(0, 8),
        "--adminToken=" + ADMIN_TOKEN,
        "--tenantSecret=test-secret"));
    args.addAll(List.of(flags));
    Node node = Node.start(ConfigLoader.load(args.toArray(String[]::new), Map.of()));
    return new TestNode(node, port);
  }

  /** A free port below the ephemeral range, where a server cannot collide with outgoing connections. */
  public static int freePortBelowEphemeral() {
    for (int i = 0; i < 200; i++) {
      int candidate = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12_000);
      try (ServerSocket socket = new ServerSocket(candidate, 0, java.net.InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port in 20000-31999");
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A tenant id unique to this node. */
  public String tenantId(String name) {
    return name + "-" + suffix;
  }

  /** Creates the tenant (which opens its connection in the default region) and returns its token. */
  public String createTenant(String tenant) {
    return createTenant(tenant, null);
  }

  /**
   * Creates the tenant from {@code colo}, so its connection is opened in the region serving that
   * colo, and returns its token. From {@code "NRT"} (apac) a query without a colo (the default
   * region, enam) still has to open the tenant's first connection.
   */
  public String createTenant(String tenant, String colo) {
    HttpResponse<Buffer> response = send(HttpMethod.PUT, "/v1/tenants/" + tenant, ADMIN_TOKEN, null,
        colo == null ? null : Map.of("X-Colo", colo));
    if (response.statusCode() != 201) {
      throw new AssertionError("tenant creation answered " + response.statusCode() + ": " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("token");
  }

  /** The tenant's database (and role) name, as the admin API reports it. */
  public String database(String tenant) {
    HttpResponse<Buffer> response = send(HttpMethod.GET, "/v1/tenants/" + tenant, ADMIN_TOKEN, null, null);
    if (response.statusCode() != 200) {
      throw new AssertionError("describe answered " + response.statusCode() + ": " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("database");
  }

  public HttpResponse<Buffer> query(String tenant, String token, JsonObject body) {
    return send(HttpMethod.POST, "/v1/query/" + tenant, token, body.encode(), Map.of("Content-Type", "application/json"));
  }

  public HttpResponse<Buffer> send(HttpMethod method, String path, String token, String body,
                                   Map<String, String> headers) {
    var request = http.request(method, path);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    if (headers != null) {
      headers.forEach(request::putHeader);
    }
    return (body == null ? request.send() : request.sendBuffer(Buffer.buffer(body))).await();
  }

  public HttpResponse<Buffer> get(String path) {
    return send(HttpMethod.GET, path, null, null, null);
  }

  /** A superuser connection pool to the test server, for checks behind the service's back. */
  public Pool superuser() {
    if (superuser == null) {
      superuser = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
          .connectingTo(PgConnectOptions.fromUri(TestDatabase.url())).using(clientVertx).build();
    }
    return superuser;
  }

  /** The member's entry in /v1/status. */
  public JsonObject memberStatus(String address) {
    JsonObject status = get("/v1/status").bodyAsJsonObject();
    for (String region : status.getJsonObject("regions").fieldNames()) {
      for (Object member : status.getJsonObject("regions").getJsonObject(region).getJsonArray("members")) {
        JsonObject m = (JsonObject) member;
        if (address.equals(m.getString("address"))) {
          return m;
        }
      }
    }
    throw new AssertionError("no member " + address + " in /v1/status");
  }

  @Override
  public void close() {
    node.stop();
    clientVertx.close().await();
  }
}
