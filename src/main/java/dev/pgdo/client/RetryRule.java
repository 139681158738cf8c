package dev.pgdo.client;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.QueryRequest;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * What a failed attempt means for the query, and whether (and in which form) it may go to the
 * next member. Pure: a function of the request and the failure, kept apart from sending.
 *
 * <ul>
 *   <li>The query surely did not run (no consumer, a member moving away, a message discarded by
 *       a consumer being unregistered): the next member gets the same request.</li>
 *   <li>It may have run, or may still be running (the member's node was lost, or no receipt came
 *       back): the next member gets it only when running it twice is harmless
 *       ({@link QueryRequest#safeToRetry()}), and then in a form that cannot write twice
 *       ({@link QueryRequest#forRetry()}); otherwise the caller learns that the outcome is
 *       unknown ({@code no_compute}).</li>
 *   <li>Anything else is the member's answer (an SQL error, a timeout, a refusal): no retry.</li>
 * </ul>
 */
public final class RetryRule {

  /** What a failure says about whether the query ran. */
  public enum Outcome {
    /** It surely did not run: no consumer, a moving member, a discarded message. */
    NOT_RUN,
    /** It may have run or may still be running: its node was lost, or it sent no receipt. */
    UNKNOWN,
    /** The member (or the bus, at the deadline) answered: this is the query's result. */
    ANSWERED
  }

  /** What to do next: send {@code retry} to the next member, or fail with {@code failure}. */
  public record Decision(QueryRequest retry, Throwable failure) {

    static Decision next(QueryRequest retry) {
      return new Decision(retry, null);
    }

    static Decision fail(Throwable failure) {
      return new Decision(null, failure);
    }

    public boolean retries() {
      return retry != null;
    }
  }

  private RetryRule() {
  }

  public static Outcome classify(Throwable failure) {
    if (failure instanceof Delivery.Discarded) {
      return Outcome.NOT_RUN;
    }
    if (failure instanceof Delivery.MemberLost || failure instanceof Delivery.NotDelivered) {
      return Outcome.UNKNOWN;
    }
    if (failure instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return Outcome.NOT_RUN;
      }
      if (reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && reply.failureCode() == ErrorCode.MEMBER_MOVED.failureCode()) {
        return Outcome.NOT_RUN;
      }
    }
    return Outcome.ANSWERED;
  }

  public static Decision decide(QueryRequest request, Throwable failure) {
    return switch (classify(failure)) {
      case NOT_RUN -> Decision.next(request);
      case UNKNOWN -> request.safeToRetry() ? Decision.next(request.forRetry())
          : Decision.fail(new PgdoException(ErrorCode.NO_COMPUTE, "the compute instance was lost while "
              + "running the query; it may or may not have been applied (send an Idempotency-Key to retry safely)"));
      case ANSWERED -> Decision.fail(failure);
    };
  }
}
