package dev.pgdo.client;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

@DisplayName("RetryRule: which failed attempts go to the next member, and in which form")
class RetryRuleTest {

  /** What the rule should answer. */
  enum Expect {
    /** the next member gets the very same request */
    SAME,
    /** the next member gets the request as a read-only transaction */
    READ_ONLY,
    /** the caller gets no_compute: the outcome is unknown and a repeat could write twice */
    UNKNOWN_OUTCOME,
    /** the caller gets the failure as it came */
    AS_IS
  }

  private static final Supplier<QueryRequest> SELECT = () -> request(new JsonObject().put("sql", "select 1"));
  private static final Supplier<QueryRequest> INSERT = () -> request(new JsonObject().put("sql", "insert into t values (1)"));
  private static final Supplier<QueryRequest> KEYED_INSERT = () -> request(new JsonObject()
      .put("sql", "insert into t values (1)").put("idempotencyKey", "k-1"));
  private static final Supplier<QueryRequest> READ_ONLY_TX = () -> request(new JsonObject()
      .put("transaction", new JsonArray().add(new JsonObject().put("sql", "select 1"))).put("readOnly", true));
  private static final Supplier<QueryRequest> WRITE_TX = () -> request(new JsonObject()
      .put("transaction", new JsonArray().add(new JsonObject().put("sql", "update t set a = 1"))));

  private static final Supplier<Throwable> NO_HANDLERS = () -> new ReplyException(ReplyFailure.NO_HANDLERS, "no handlers");
  private static final Supplier<Throwable> MOVED = () -> new ReplyException(ReplyFailure.RECIPIENT_FAILURE,
      ErrorCode.MEMBER_MOVED.failureCode(), new PgdoException(ErrorCode.MEMBER_MOVED, "moving").toJson().encode());
  private static final Supplier<Throwable> DISCARDED = () -> new Delivery.Discarded("shared-compute.enam.0");
  private static final Supplier<Throwable> LOST = () -> new Delivery.MemberLost("shared-compute.enam.0");
  private static final Supplier<Throwable> NO_RECEIPT = () -> new Delivery.NotDelivered("shared-compute.enam.0");
  private static final Supplier<Throwable> SQL_ERROR = () -> new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 400,
      new PgdoException(ErrorCode.SQL_ERROR, "syntax error").toJson().encode());
  private static final Supplier<Throwable> NO_COMPUTE = () -> new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503,
      new PgdoException(ErrorCode.NO_COMPUTE, "PostgreSQL has no connection slot free").toJson().encode());
  private static final Supplier<Throwable> DEADLINE = () -> new ReplyException(ReplyFailure.TIMEOUT, "Timed out");

  static Stream<Arguments> cases() {
    return Stream.of(
        // it surely did not run: anything goes to the next member unchanged
        arguments("no consumer", NO_HANDLERS, "insert", INSERT, Expect.SAME),
        arguments("no consumer", NO_HANDLERS, "select", SELECT, Expect.SAME),
        arguments("member moving", MOVED, "insert", INSERT, Expect.SAME),
        arguments("member moving", MOVED, "write transaction", WRITE_TX, Expect.SAME),
        arguments("discarded message", DISCARDED, "insert", INSERT, Expect.SAME),
        // it may have run: only a harmless repeat, in a form that cannot write
        arguments("node lost", LOST, "select", SELECT, Expect.READ_ONLY),
        arguments("node lost", LOST, "read-only transaction", READ_ONLY_TX, Expect.SAME),
        arguments("node lost", LOST, "insert with idempotency key", KEYED_INSERT, Expect.SAME),
        arguments("node lost", LOST, "insert", INSERT, Expect.UNKNOWN_OUTCOME),
        arguments("node lost", LOST, "write transaction", WRITE_TX, Expect.UNKNOWN_OUTCOME),
        arguments("no receipt", NO_RECEIPT, "select", SELECT, Expect.READ_ONLY),
        arguments("no receipt", NO_RECEIPT, "insert", INSERT, Expect.UNKNOWN_OUTCOME),
        arguments("no receipt", NO_RECEIPT, "insert with idempotency key", KEYED_INSERT, Expect.SAME),
        // the member answered: that is the result, even when it is a 503
        arguments("SQL error", SQL_ERROR, "select", SELECT, Expect.AS_IS),
        arguments("no connection slot (503)", NO_COMPUTE, "select", SELECT, Expect.AS_IS),
        arguments("deadline", DEADLINE, "select", SELECT, Expect.AS_IS));
  }

  @ParameterizedTest(name = "{0} + {2} → {4}")
  @MethodSource("cases")
  void decides(String failureName, Supplier<Throwable> failure, String requestName, Supplier<QueryRequest> request,
               Expect expected) {
    QueryRequest sent = request.get();
    Throwable err = failure.get();
    RetryRule.Decision decision = RetryRule.decide(sent, err);
    switch (expected) {
      case SAME -> assertThat(decision.retry()).isSameAs(sent);
      case READ_ONLY -> {
        assertThat(decision.retry()).isNotNull().isNotSameAs(sent);
        assertThat(decision.retry().readOnly()).isTrue();
        assertThat(decision.retry().statements()).isEqualTo(sent.statements());
      }
      case UNKNOWN_OUTCOME -> {
        assertThat(decision.retries()).isFalse();
        assertThat(decision.failure()).isInstanceOfSatisfying(PgdoException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_COMPUTE));
        assertThat(decision.failure().getMessage()).contains("may or may not have been applied");
      }
      case AS_IS -> {
        assertThat(decision.retries()).isFalse();
        assertThat(decision.failure()).isSameAs(err);
      }
    }
  }

  private static QueryRequest request(JsonObject body) {
    return QueryRequest.fromJson(body.put("tenant", "acme"));
  }
}
