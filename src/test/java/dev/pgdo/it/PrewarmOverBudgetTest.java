package dev.pgdo.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node that starts on a registry holding more tenants than its connection budget: every member
 * pre-warms its share of the newest tenants, the budget runs out after the first few, and the
 * other members' pings are skipped. Those members must still report themselves warm (the
 * database answered), or the node would never be ready; and a tenant whose member pre-warmed
 * nothing still gets a connection, reclaimed from an idle one.
 */
@DisplayName("A node whose registry holds more tenants than its connection budget still becomes ready")
class PrewarmOverBudgetTest {

  private static final int BUDGET = 3;
  private static final int TENANTS = 12; // spread over every member of every region: dozens of pre-warm pings

  @Test
  @DisplayName("restarted on 12 tenants with a budget of 3: ready, and every tenant answers")
  void readyDespiteFullBudget() throws InterruptedException {
    String metadataDb = "pgdo_" + UUID.randomUUID().toString().substring(0, 8);
    String[] flags = {"--database.metadataDb=" + metadataDb, "--compute.maxConnections=" + BUDGET};
    List<String> tenants = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    try (TestNode first = TestNode.start(flags)) {
      for (int i = 0; i < TENANTS; i++) {
        String tenant = first.tenantId("full-" + i);
        tenants.add(tenant);
        tokens.add(first.createTenant(tenant));
      }
    }

    try (TestNode second = TestNode.start(flags)) {
      int status = 0;
      for (int i = 0; i < 100 && status != 200; i++) { // well inside one keep-warm interval (30 s)
        status = second.get("/health/ready").statusCode();
        if (status != 200) {
          Thread.sleep(100);
        }
      }
      assertThat(status).as("/health/ready within 10 s of start").isEqualTo(200);
      for (int i = 0; i < TENANTS; i++) {
        var answer = second.query(tenants.get(i), tokens.get(i), new JsonObject().put("sql", "select 1 as one"));
        assertThat(answer.statusCode()).as("tenant %d: %s", i, answer.bodyAsString()).isEqualTo(200);
      }
    }
  }
}
