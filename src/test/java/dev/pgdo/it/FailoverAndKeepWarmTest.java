package dev.pgdo.it;

import dev.pgdo.bus.Addresses;
import dev.pgdo.routing.Rendezvous;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Members fail over and keep their connections warm")
class FailoverAndKeepWarmTest {

  private static final long KEEP_WARM_MS = 300;

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start("--keepWarm.intervalMs=" + KEEP_WARM_MS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonObject select(String tenant, String token) {
    HttpResponse<Buffer> response = node.query(tenant, token, new JsonObject().put("sql", "select 1 as one"));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  @Test
  @DisplayName("a member that is not deployed: the query lands on the tenant's next member")
  void failsOverToNextMember() {
    String tenant = node.tenantId("failover");
    String token = node.createTenant(tenant);
    int[] order = Rendezvous.order(tenant, 5);
    String winner = Addresses.compute("enam", order[0]);
    assertThat(select(tenant, token).getJsonObject("compute").getString("address")).isEqualTo(winner);

    node.node.undeployMember(winner).await();

    JsonObject after = select(tenant, token);
    assertThat(after.getJsonObject("compute").getString("address")).isEqualTo(Addresses.compute("enam", order[1]));
    assertThat(node.memberStatus(winner).getString("state")).isEqualTo("down");
  }

  @Test
  @DisplayName("keep-warm advances lastKeepWarm and replaces a connection killed in PostgreSQL")
  void keepWarmReplacesKilledConnections() throws InterruptedException {
    String tenant = node.tenantId("keepwarm");
    String token = node.createTenant(tenant);
    String address = select(tenant, token).getJsonObject("compute").getString("address");
    Instant before = Instant.parse(node.memberStatus(address).getString("lastKeepWarm"));

    int killed = node.superuser()
        .preparedQuery("select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = $1")
        .execute(Tuple.of(node.database(tenant)))
        .map(rows -> rows.iterator().next().getInteger(0))
        .await();
    assertThat(killed).isPositive();

    Thread.sleep(KEEP_WARM_MS * 4);

    JsonObject member = node.memberStatus(address);
    assertThat(Instant.parse(member.getString("lastKeepWarm"))).isAfter(before);
    assertThat(member.getLong("keepWarmPings")).isPositive();
    JsonObject again = select(tenant, token);
    assertThat(again.getJsonObject("compute").getString("address")).isEqualTo(address);
    assertThat(again.getJsonObject("compute").getBoolean("warm")).isTrue();
    long backends = node.superuser()
        .preparedQuery("select count(*) from pg_stat_activity where usename = $1")
        .execute(Tuple.of(node.database(tenant)))
        .map(rows -> rows.iterator().next().getLong(0))
        .await();
    assertThat(backends).isPositive();
  }
}
