package dev.pgdo.it;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Metrics, per-request headers, status and dashboard agree with the traffic sent")
class ObservabilityTest {

  private static final int ORD_OK = 7;
  private static final int LHR_OK = 3;
  private static final int LHR_ERRORS = 2;
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? (\\S+)");

  private static TestNode node;
  private static final List<HttpResponse<Buffer>> ordAnswers = new ArrayList<>();

  @BeforeAll
  static void sendKnownTraffic() {
    node = TestNode.start();
    String tenant = node.tenantId("obs");
    String token = node.createTenant(tenant);
    for (int i = 0; i < ORD_OK; i++) {
      ordAnswers.add(send(tenant, token, "ORD", "{\"sql\": \"select " + i + " as n\"}", "req-" + i));
    }
    for (int i = 0; i < LHR_OK; i++) {
      assertThat(send(tenant, token, "LHR", "{\"sql\": \"select 1\"}", null).statusCode()).isEqualTo(200);
    }
    for (int i = 0; i < LHR_ERRORS; i++) {
      assertThat(send(tenant, token, "LHR", "{\"sql\": \"select nope\"}", null).statusCode()).isEqualTo(400);
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<Buffer> send(String tenant, String token, String colo, String body, String requestId) {
    Map<String, String> headers = new HashMap<>(Map.of("Content-Type", "application/json", "X-Colo", colo));
    if (requestId != null) {
      headers.put("X-Request-Id", requestId);
    }
    return node.send(HttpMethod.POST, "/v1/query/" + tenant, token, body, headers);
  }

  /** Sums the samples of {@code name} whose labels include every given label. */
  private static double sum(String metrics, String name, Map<String, String> labels) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      String labelText = m.group(3) == null ? "" : m.group(3);
      boolean all = labels.entrySet().stream()
          .allMatch(e -> labelText.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        total += Double.parseDouble(m.group(4));
      }
    }
    return total;
  }

  @Test
  @DisplayName("/metrics is Prometheus text, and its counters equal the traffic per outcome and region")
  void metricsMatchTraffic() {
    HttpResponse<Buffer> response = node.get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    String metrics = response.bodyAsString();
    for (String line : metrics.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        assertThat(SAMPLE.matcher(line).matches()).as("sample line: %s", line).isTrue();
      }
    }
    assertThat(sum(metrics, "pgdo_query_seconds_count", Map.of("region", "enam", "outcome", "ok"))).isEqualTo(ORD_OK);
    assertThat(sum(metrics, "pgdo_query_seconds_count", Map.of("region", "weur", "outcome", "ok"))).isEqualTo(LHR_OK);
    assertThat(sum(metrics, "pgdo_query_seconds_count", Map.of("region", "weur", "outcome", "error")))
        .isEqualTo(LHR_ERRORS);
    assertThat(sum(metrics, "pgdo_requests_total", Map.of("colo", "ORD"))).isEqualTo(ORD_OK);
    assertThat(sum(metrics, "pgdo_requests_total", Map.of("colo", "LHR"))).isEqualTo(LHR_OK + LHR_ERRORS);
    assertThat(sum(metrics, "pgdo_errors_total", Map.of("code", "sql_error"))).isEqualTo(LHR_ERRORS);
    long warm = ordAnswers.stream().filter(r -> r.bodyAsJsonObject().getJsonObject("compute").getBoolean("warm")).count();
    assertThat(sum(metrics, "pgdo_warm_total", Map.of("region", "enam", "result", "hit"))).isEqualTo(warm);
    assertThat(sum(metrics, "pgdo_warm_total", Map.of("region", "enam", "result", "miss"))).isEqualTo(ORD_OK - warm);
    assertThat(metrics).contains("vertx_http_server_requests_total");
  }

  @Test
  @DisplayName("X-Pgdo-* and Server-Timing headers match the body; X-Request-Id is echoed")
  void headersMatchBody() {
    for (int i = 0; i < ordAnswers.size(); i++) {
      HttpResponse<Buffer> response = ordAnswers.get(i);
      JsonObject body = response.bodyAsJsonObject();
      JsonObject compute = body.getJsonObject("compute");
      JsonObject timings = body.getJsonObject("timings");
      assertThat(response.getHeader("X-Pgdo-Member")).isEqualTo(compute.getString("address"));
      assertThat(response.getHeader("X-Pgdo-Region")).isEqualTo(compute.getString("region"));
      assertThat(response.getHeader("X-Pgdo-Warm")).isEqualTo(compute.getBoolean("warm").toString());
      assertThat(response.getHeader("X-Request-Id")).isEqualTo("req-" + i);
      String serverTiming = response.getHeader("Server-Timing");
      assertThat(serverTiming).contains("route;dur=", "wait;dur=")
          .contains("connect;dur=" + timings.getDouble("connectMs"))
          .contains("query;dur=" + timings.getDouble("queryMs"));
    }
    String generated = node.get("/health/live").getHeader("X-Request-Id");
    assertThat(generated).matches("[0-9a-f-]{36}");
  }

  @Test
  @DisplayName("/v1/status counts the member's requests and warm hits as sent")
  void statusMatchesTraffic() {
    String address = ordAnswers.get(0).bodyAsJsonObject().getJsonObject("compute").getString("address");
    long warm = ordAnswers.stream().filter(r -> r.bodyAsJsonObject().getJsonObject("compute").getBoolean("warm")).count();
    JsonObject member = node.memberStatus(address);
    assertThat(member.getLong("requestCount")).isEqualTo(ORD_OK);
    assertThat(member.getLong("warmHits")).isEqualTo(warm);
    assertThat(member.getDouble("warmHitRate")).isCloseTo((double) warm / ORD_OK, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(member.getJsonObject("latencyMs").getDouble("p50")).isPositive();
    JsonObject status = node.get("/v1/status").bodyAsJsonObject();
    JsonObject enam = status.getJsonObject("regions").getJsonObject("enam");
    assertThat(enam.getJsonObject("advice").getInteger("poolSize")).isBetween(1, 64);
    assertThat(enam.getJsonObject("keepWarm").getLong("connections")).isPositive();
    assertThat(status.getJsonObject("coloTraffic").getLong("ORD")).isEqualTo(ORD_OK);
    assertThat(status.getJsonObject("coloTraffic").getLong("LHR")).isEqualTo(LHR_OK + LHR_ERRORS);
  }

  @Test
  @DisplayName("the dashboard page loads and its data feed has the documented shape")
  void dashboard() {
    HttpResponse<Buffer> page = node.get("/dashboard");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.getHeader("Content-Type")).startsWith("text/html");
    assertThat(page.bodyAsString()).contains("postgres-do").contains("/v1/status");
    JsonObject feed = node.get("/v1/status").bodyAsJsonObject();
    assertThat(feed.fieldNames()).contains("node", "nodes", "regions", "warmHitRate", "coloTraffic");
    JsonObject member = (JsonObject) feed.getJsonObject("regions").getJsonObject("oc").getJsonArray("members").getValue(0);
    assertThat(member.fieldNames()).contains("address", "index", "node", "state", "requestCount", "lastActivity",
        "lastKeepWarm", "latencyMs", "connections", "warmTenants", "warmHitRate");
  }
}
