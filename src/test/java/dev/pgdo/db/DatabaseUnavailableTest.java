package dev.pgdo.db;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("PostgreSQL unreachable is told apart by type and SQLSTATE")
class DatabaseUnavailableTest {

  private static PgException pg(String sqlState) {
    return new PgException("message", "FATAL", sqlState, null);
  }

  @Test
  void unreachable() {
    assertThat(DatabaseUnavailable.is(new ConnectException("Connection refused"))).isTrue();
    assertThat(DatabaseUnavailable.is(new RuntimeException("wrapped", new ConnectException()))).isTrue();
    assertThat(DatabaseUnavailable.is(ClosedConnectionException.INSTANCE)).isTrue();
    assertThat(DatabaseUnavailable.is(new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 512")))
        .isTrue();
    assertThat(DatabaseUnavailable.is(pg("08006"))).as("connection failure").isTrue();
    assertThat(DatabaseUnavailable.is(pg("08001"))).as("cannot connect").isTrue();
    assertThat(DatabaseUnavailable.is(pg("57P01"))).as("admin shutdown").isTrue();
    assertThat(DatabaseUnavailable.is(pg("57P03"))).as("starting up").isTrue();
    assertThat(DatabaseUnavailable.is(new NoStackTraceThrowable("Timeout"))).as("pool waiter timeout").isTrue();
    assertThat(DatabaseUnavailable.is(new VertxException("Timeout waiting for connection", true))).isTrue();
    assertThat(DatabaseUnavailable.is(new VertxException("Pool closed", true))).isTrue();
  }

  @Test
  void notUnreachable() {
    assertThat(DatabaseUnavailable.is(pg("57014"))).as("query cancelled").isFalse();
    assertThat(DatabaseUnavailable.is(pg("42P01"))).as("undefined table").isFalse();
    assertThat(DatabaseUnavailable.is(pg("53300"))).as("too many connections: ServerExhaustion's").isFalse();
    assertThat(DatabaseUnavailable.is(new NoStackTraceThrowable("Timeout of the statement"))).isFalse();
    assertThat(DatabaseUnavailable.is(new VertxException("Timeout", true))).isFalse();
    assertThat(DatabaseUnavailable.is(new IllegalStateException("Timeout waiting for connection"))).isFalse();
    assertThat(DatabaseUnavailable.is(null)).isFalse();
  }
}
