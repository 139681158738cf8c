package dev.pgdo.compute;

import dev.pgdo.bus.QueryRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A request that failed for want of shared memory runs once more only if it rolled back whole")
class SharedMemoryRetryTest {

  @ParameterizedTest(name = "{0} after {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "insert into t values (1)                      | 53200 | true",
      "select count(*) from t                        | 53200 | true",
      "insert into t values (1);; select 1           | 53200 | true",
      "call p()                                      | 53200 | false",
      "do $$ begin perform 1; end $$                 | 53200 | false",
      "insert into t values (1);; call p()           | 53200 | false",
      "insert into t values (1)                      | 53300 | false",
      "insert into t values (1)                      | 53400 | false",
      "insert into t values (1)                      | 23505 | false",
  })
  void decision(String statements, String sqlState, boolean expected) {
    String[] sqls = statements.split(";;");
    JsonObject json = new JsonObject().put("tenant", "acme");
    if (sqls.length == 1) {
      json.put("sql", sqls[0].trim());
    } else {
      JsonArray transaction = new JsonArray();
      Arrays.stream(sqls).forEach(sql -> transaction.add(new JsonObject().put("sql", sql.trim())));
      json.put("transaction", transaction);
    }
    QueryRequest request = QueryRequest.fromJson(json);
    PgException failure = new PgException("out of shared memory", "ERROR", sqlState, null);
    assertThat(SharedMemoryRetry.mayRetry(failure, request)).isEqualTo(expected);
    assertThat(SharedMemoryRetry.mayRetry(new IllegalStateException("x"), request)).isFalse();
  }
}
